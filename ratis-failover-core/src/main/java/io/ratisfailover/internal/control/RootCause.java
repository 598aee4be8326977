package io.ratisfailover.internal.control;

/** The innermost cause's message: what an operator needs from a chain of wrapped exceptions. */
public final class RootCause {
  private RootCause() {}

  /** The message of the last cause in {@code e}'s chain, or its class name when it has none. */
  public static String message(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
  }
}

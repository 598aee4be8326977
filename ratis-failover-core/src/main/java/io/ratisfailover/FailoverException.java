package io.ratisfailover;

/** Base of the failures this library reports to its callers. */
public class FailoverException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public FailoverException(String message) {
    super(message);
  }

  public FailoverException(String message, Throwable cause) {
    super(message, cause);
  }
}

package io.ratisfailover.spi;

/** Lets an adapter tell the agent about a change it noticed on its own, such as a server exit. */
@FunctionalInterface
public interface DatabaseEvents {
  /** Asks the agent to poll {@link DatabaseAdapter#status()} now. Callable from any thread; never blocks. */
  void statusMayHaveChanged();
}

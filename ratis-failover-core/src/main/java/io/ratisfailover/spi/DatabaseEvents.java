package io.ratisfailover.spi;

import io.ratisfailover.Epoch;

/**
 * What an adapter may tell the agent, or ask it, from any thread. Neither method blocks.
 */
public interface DatabaseEvents {
  /** Asks the agent to poll {@link DatabaseAdapter#status()} now: the adapter noticed a change on its own, such as a server exit. */
  void statusMayHaveChanged();

  /**
   * Whether this member still holds the primary lease for {@code epoch}. An adapter asks right
   * before the step that makes the database writable (the promotion itself, or starting a server
   * as primary): an operation can take long after the agent decided on it, and the lease may have
   * lapsed meanwhile. When the answer is no, the adapter must fail the operation without that step.
   */
  default boolean mayBecomeWritable(Epoch epoch) {
    return true;
  }
}

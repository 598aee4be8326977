package io.ratisfailover.spi;

/** What the local database is doing, as far as its adapter can tell. */
public enum DatabaseState {
  /** There is no data directory yet: the member must bootstrap or clone. */
  ABSENT,
  /** A data directory exists and no server runs on it. */
  STOPPED,
  /** The server process runs but does not accept connections yet (start-up, crash recovery). */
  STARTING,
  /** Running and accepting writes. */
  RUNNING_PRIMARY,
  /** Running in recovery: a standby, streaming or waiting for an upstream. */
  RUNNING_REPLICA,
  /**
   * A standby that has not reached a consistent state: it needs WAL from an upstream (after a
   * clone or a rewind) before it can serve reads or be promoted, so it cannot be elected; it can
   * be pointed at another upstream.
   */
  RECOVERING,
  /** The state could not be determined: the status call failed or timed out. */
  UNKNOWN;

  public boolean isRunning() {
    return this == RUNNING_PRIMARY || this == RUNNING_REPLICA || this == RECOVERING || this == STARTING;
  }
}

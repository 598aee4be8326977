package io.ratisfailover.spi;

/** How hard to stop the local database from taking writes. */
public enum FenceMode {
  /**
   * Terminate client sessions and shut down cleanly, so connected standbys receive all WAL;
   * escalate to {@link #IMMEDIATE} if that does not finish in time.
   */
  FAST,
  /** Stop at once, as a crash would; for a server that hangs or a lease about to lapse. */
  IMMEDIATE
}

package io.ratisfailover;

/** How the primary's commits wait for standbys. */
public enum SynchronousMode {
  /** Asynchronous replication: a failover may lose the last acknowledged commits. */
  OFF,
  /**
   * Commits wait for the recorded synchronous standbys; with none healthy the primary falls back
   * to asynchronous commits and no member is eligible for automatic failover.
   */
  ON,
  /** Like {@link #ON}, but with no healthy standby the primary blocks writes instead. */
  STRICT
}

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
  STRICT,
  /**
   * Quorum commit: commits wait for any {@code synchronous_node_count} of all healthy standbys
   * ({@code ANY n (...)}); a failover promotes a member of that set only once it has compared WAL
   * positions with enough of the set that one of them holds every acknowledged commit, and it is
   * the most advanced of them. With no healthy standby commits do not wait, as with {@link #ON}.
   */
  QUORUM
}

package io.ratisfailover;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One epoch in the cluster's history.
 *
 * @param epoch the epoch
 * @param member the member elected for it
 * @param cause why there was an election, for counting
 * @param reason why it was elected, in words
 * @param electedAt when, by the arbiter's wall clock
 * @param timeline the timeline it promoted to; 0 until its promotion is recorded
 * @param switchLsn the WAL position it started from, once recorded
 */
public record HistoryEntry(Epoch epoch, MemberId member, Cause cause, String reason, Instant electedAt, long timeline,
    Optional<Lsn> switchLsn) {

  /** Why an epoch began. */
  public enum Cause {
    /** The cluster's first primary. */
    BOOTSTRAP,
    /** The primary stopped renewing its lease (crash, partition, hang): an unplanned failover. */
    LEASE_EXPIRED,
    /** The primary gave the role up because its database failed: an unplanned failover, without waiting. */
    RELEASED,
    /** An operator's planned switchover. */
    SWITCHOVER,
    /** An operator's failover to a named candidate. */
    FAILOVER;

    /** Whether this change of primary was planned by an operator. */
    public boolean planned() {
      return this == SWITCHOVER || this == FAILOVER;
    }
  }

  public HistoryEntry {
    Objects.requireNonNull(epoch, "epoch");
    Objects.requireNonNull(cause, "cause");
    Objects.requireNonNull(member, "member");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(electedAt, "electedAt");
    Objects.requireNonNull(switchLsn, "switchLsn");
    // 0/0 is no WAL position (PostgreSQL's invalid pointer): it means "not known", as on the wire.
    switchLsn = switchLsn.filter(l -> !l.equals(Lsn.ZERO));
  }

  public boolean promoted() {
    return timeline > 0;
  }

  public HistoryEntry promotedTo(long newTimeline, Lsn lsn) {
    return new HistoryEntry(epoch, member, cause, reason, electedAt, newTimeline, Optional.of(lsn));
  }
}

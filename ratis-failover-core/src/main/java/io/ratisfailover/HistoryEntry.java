package io.ratisfailover;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One epoch in the cluster's history.
 *
 * @param epoch the epoch
 * @param member the member elected for it
 * @param reason why it was elected, in words
 * @param electedAt when, by the arbiter's wall clock
 * @param timeline the timeline it promoted to; 0 until its promotion is recorded
 * @param switchLsn the WAL position it started from, once recorded
 */
public record HistoryEntry(Epoch epoch, MemberId member, String reason, Instant electedAt, long timeline,
    Optional<Lsn> switchLsn) {
  public HistoryEntry {
    Objects.requireNonNull(epoch, "epoch");
    Objects.requireNonNull(member, "member");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(electedAt, "electedAt");
    Objects.requireNonNull(switchLsn, "switchLsn");
  }

  public boolean promoted() {
    return timeline > 0;
  }

  public HistoryEntry promotedTo(long newTimeline, Lsn lsn) {
    return new HistoryEntry(epoch, member, reason, electedAt, newTimeline, Optional.of(lsn));
  }
}

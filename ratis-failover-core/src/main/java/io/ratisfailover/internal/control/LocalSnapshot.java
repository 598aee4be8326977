package io.ratisfailover.internal.control;

import io.ratisfailover.Epoch;
import io.ratisfailover.LocalRole;
import io.ratisfailover.MemberId;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.spi.DatabaseStatus;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the runtime publishes after every event for readers on other threads (the HTTP probe, the
 * API's views): immutable, so a reader sees one consistent moment.
 *
 * @param reports what this node learned from each member's last report
 * @param lastCycleNanos how long the last decision cycle took
 * @param lastCycleAt this node's tick when the last decision cycle ended
 * @param predecessorSilence what this member's last election said about the previous primary's silence
 */
public record LocalSnapshot(MemberId self, LocalRole role, ClusterState state, long appliedIndex, Lease lease,
    Optional<DatabaseStatus> database, boolean fencing, String reason, boolean leader,
    Optional<MemberId> raftLeader, long raftTerm, Map<MemberId, Report> reports, long lastCycleNanos,
    long lastCycleAt, PredecessorSilence predecessorSilence) {

  public LocalSnapshot {
    reports = Map.copyOf(reports);
    Objects.requireNonNull(predecessorSilence, "predecessorSilence");
  }

  /**
   * While this member is the elected primary of the current epoch, a lower bound on how long the
   * previous primary has not answered 200 on {@code /primary}; zero otherwise.
   */
  public Duration predecessorSilent(long now, double maxClockDrift) {
    if (!state.isPrimary(self, state.epoch())) {
      return Duration.ZERO;
    }
    return predecessorSilence.at(state.epoch(), now, maxClockDrift);
  }

  /**
   * Whether this member may answer 200 on {@code /primary} at tick {@code now}: it is the promoted
   * primary of the current epoch, its lease is valid, its database last reported read-write, and
   * it is not fencing. Lease validity is evaluated at {@code now}, so the answer turns the moment
   * the lease runs out, even if the agent loop is stuck.
   */
  public boolean servingPrimary(long now) {
    return servesWhileLeased() && lease.isValid(now, state, self);
  }

  /** Whether it answers 200 on {@code /primary} for as long as its lease is valid. */
  public boolean servesWhileLeased() {
    return role == LocalRole.PRIMARY && !fencing && database.map(DatabaseStatus::isPrimary).orElse(false);
  }

  /**
   * Whether this member is primary of {@code epoch} with a valid lease for it at tick {@code now}.
   * The database thread asks right before it makes the database writable, possibly long after the
   * decision (a hung server thawed, a queue drained).
   */
  public boolean holdsLeaseFor(Epoch epoch, long now) {
    return state.isPrimary(self, epoch) && lease.epoch().equals(epoch) && leaseRemainingNanos(now) > 0;
  }

  /** Nanoseconds of lease left at tick {@code now}; zero when none is valid. */
  public long leaseRemainingNanos(long now) {
    return lease.isValid(now, state, self) ? lease.expiresAt() - now : 0;
  }
}

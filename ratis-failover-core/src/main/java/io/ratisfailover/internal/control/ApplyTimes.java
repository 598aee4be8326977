package io.ratisfailover.internal.control;

import io.ratisfailover.MemberId;
import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Request;
import java.time.Clock;
import java.time.Duration;

/**
 * When, by this node's clock, the entries that time leases were applied: the primary's last
 * renewal, which the arbiter measures the lease from (with the silence a release said its sender
 * kept before it), and this member's own election, from which its predecessor's silence counts.
 * Loop thread only.
 */
final class ApplyTimes {
  private final MemberId self;
  private final RenewalClock renewalClock;
  private final Clock clock;
  private long renewalAppliedAt;
  private Duration releasedAfterSilence = Duration.ZERO;
  private PredecessorSilence predecessorSilence = PredecessorSilence.NONE;

  ApplyTimes(MemberId self, RenewalClock renewalClock, Clock clock, long now) {
    this.self = self;
    this.renewalClock = renewalClock;
    this.clock = clock;
    this.renewalAppliedAt = now;
  }

  /**
   * The state was replaced wholesale at {@code now}: per-entry apply times are unknown, so the
   * renewal counts as applied now, and so does this member's election if it is the primary.
   */
  void loaded(ClusterState loaded, long now) {
    renewalAppliedAt = renewalClock.loaded(now);
    releasedAfterSilence = Duration.ZERO;
    if (loaded.isPrimary(self, loaded.epoch()) && !predecessorSilence.epoch().equals(loaded.epoch())) {
      predecessorSilence = new PredecessorSilence(loaded.epoch(), now, Duration.ZERO);
    }
  }

  /** Entry {@code index} was applied at tick {@code now}, producing {@code next}. */
  void applied(long index, Request request, ApplyResult result, ClusterState next, long now) {
    if (next.lastRenewalIndex() == index) {
      renewalAppliedAt = renewalClock.applied(now, request, next, clock.millis());
      releasedAfterSilence = result.applied() && request.command() instanceof Command.Release release
          ? release.silentFor() : Duration.ZERO;
    }
    if (result.applied() && request.command() instanceof Command.Elect elect && elect.candidate().equals(self)) {
      predecessorSilence = new PredecessorSilence(elect.epoch(), now, elect.predecessorSilent());
    }
  }

  long renewalAppliedAt() {
    return renewalAppliedAt;
  }

  /**
   * When the last entry that timed the lease was a release: how long its sender said it had not
   * answered 200 before sending it, by its clock; zero otherwise.
   */
  Duration releasedAfterSilence() {
    return releasedAfterSilence;
  }

  PredecessorSilence predecessorSilence() {
    return predecessorSilence;
  }
}

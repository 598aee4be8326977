package io.ratisfailover.internal.control;

import io.ratisfailover.Epoch;
import io.ratisfailover.MemberId;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.control.Agent.FenceReason;
import io.ratisfailover.spi.Fencer;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fencing the local database on its own lane (a fence must not queue behind a hung call): whether
 * one runs, why the member fenced in this epoch, and the fencer's hook after a primary was fenced.
 * Loop thread only.
 */
final class LocalFence {
  // MemberRuntime's logger: the log lines stay those of the member.
  private static final Logger log = LoggerFactory.getLogger(MemberRuntime.class);

  private final MemberId self;
  private final Timing timing;
  private final DatabaseDriver database;
  private final Fencer fencer;
  /** A fence finished, whatever its outcome: the last observation is out of date. */
  private final Runnable finished;
  private Optional<FenceReason> fencedFor = Optional.empty();
  private boolean fencing;
  /** Since when the member has answered 503 on {@code /primary} ahead of a switchover's stop. */
  private OptionalLong drainingSince = OptionalLong.empty();

  LocalFence(MemberId self, Timing timing, DatabaseDriver database, Fencer fencer, Runnable finished) {
    this.self = self;
    this.timing = timing;
    this.database = database;
    this.fencer = fencer;
    this.finished = finished;
  }

  /** A fence is running. */
  boolean inProgress() {
    return fencing;
  }

  /** Why the member fenced its database, until the epoch moves on or an operation succeeds. */
  Optional<FenceReason> fencedFor() {
    return fencedFor;
  }

  /** Since when the member has been draining ahead of a switchover's stop, if it is. */
  OptionalLong drainingSince() {
    return drainingSince;
  }

  /** The agent asked for a drain at tick {@code now}: it starts now unless it runs already. */
  void drain(long now) {
    if (drainingSince.isEmpty()) {
      log.info("member {}: switchover: answering 503 on /primary before stopping the database", self);
      drainingSince = OptionalLong.of(now);
    }
  }

  /** The agent no longer asks for a drain: its fence began, or the switchover is off. */
  void drainOver() {
    drainingSince = OptionalLong.empty();
  }

  /** Whatever the member fenced for is over. */
  void forget() {
    fencedFor = Optional.empty();
  }

  /** Marks a fence for {@code reason} as running; false, and nothing changes, when one runs already. */
  boolean begin(FenceReason reason) {
    if (fencing) {
      return false;
    }
    fencing = true;
    fencedFor = Optional.of(reason);
    return true;
  }

  /** Runs the fence {@link #begin} marked; {@code wasPrimary}: the database was primary when it began. */
  void run(Agent.Action.Fence fence, Epoch epoch, boolean wasPrimary) {
    log.info("member {} epoch {}: fencing the database ({}): {}", self, epoch, fence.mode(), fence.why());
    database.fence(fence.mode(), timing.operationTimeout(), outcome -> {
      fencing = false;
      if (outcome.ok()) {
        log.info("member {} epoch {}: database fenced", self, epoch);
        if (wasPrimary) {
          runFencerAfterFence(epoch, fence.why());
        }
      } else {
        log.error("member {} epoch {}: fencing failed, will retry: {}", self, epoch, outcome.describe());
      }
      finished.run();
    });
  }

  private void runFencerAfterFence(Epoch epoch, String why) {
    try {
      fencer.afterLocalFence(self, epoch, why);
    } catch (RuntimeException e) {
      log.error("member {} epoch {}: fencer hook failed after fencing: {}", self, epoch, e.toString());
    }
  }
}

package io.ratisfailover.internal.control;

import io.ratisfailover.Epoch;
import io.ratisfailover.LocalRole;
import io.ratisfailover.MemberId;
import io.ratisfailover.Ticker;
import io.ratisfailover.spi.Watchdog;
import java.io.IOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The member's watchdog kept in step with its role and lease, on the runtime's loop: armed in the
 * roles where the database may be writable, its deadline moved with every applied renewal, disarmed
 * otherwise. A failure to reach the watchdog is logged, never fatal: the lease still bounds the role.
 */
final class WatchdogGuard {
  private static final Logger log = LoggerFactory.getLogger(WatchdogGuard.class);

  private final MemberId self;
  private final Watchdog watchdog;
  private final Ticker ticker;
  private boolean armed;

  WatchdogGuard(MemberId self, Watchdog watchdog, Ticker ticker) {
    this.self = self;
    this.watchdog = watchdog;
    this.ticker = ticker;
  }

  /** After a role change to {@code to}: armed in the guarded roles, disarmed in the others. */
  void follow(LocalRole to, Lease lease, Epoch epoch) {
    if (guarded(to)) {
      arm(lease, epoch);
    } else {
      disarm(epoch);
    }
  }

  /**
   * The roles the watchdog guards: those in which the database may be writable. A candidate
   * promotes its database before the promotion is recorded, so a candidate is guarded too; so is a
   * member that is fencing, until the fence has stopped the database (an agent that dies mid-fence
   * must not leave it writable and unguarded).
   */
  static boolean guarded(LocalRole role) {
    return role == LocalRole.PRIMARY || role == LocalRole.CANDIDATE || role == LocalRole.DEMOTING;
  }

  /**
   * Arms the watchdog with the lease's remaining time; without a lease (an agent restarted under a
   * running primary) the first applied renewal arms it, since a deadline of zero would fence a server
   * the agent may still keep.
   */
  private void arm(Lease lease, Epoch epoch) {
    if (armed || !lease.held()) {
      return;
    }
    try {
      watchdog.arm(remaining(lease));
      armed = true;
    } catch (IOException e) {
      log.error("member {} epoch {}: could not arm the watchdog: {}", self, epoch, e.toString());
    }
  }

  /** After an applied renewal, in {@code role}: the deadline follows the lease, which runs from the renewal's send time. */
  void renewed(LocalRole role, Lease lease, Epoch epoch) {
    if (!armed) {
      if (guarded(role)) {
        arm(lease, epoch);
      }
      return;
    }
    try {
      watchdog.keepAlive(remaining(lease));
    } catch (IOException e) {
      log.error("member {} epoch {}: watchdog keep-alive failed: {}", self, epoch, e.toString());
    }
  }

  void disarm(Epoch epoch) {
    if (armed) {
      armed = false;
      try {
        watchdog.disarm();
      } catch (IOException e) {
        log.error("member {} epoch {}: could not disarm the watchdog: {}", self, epoch, e.toString());
      }
    }
  }

  private Duration remaining(Lease lease) {
    return Duration.ofNanos(Math.max(0, lease.expiresAt() - ticker.nanoTime()));
  }
}

package io.ratisfailover.internal.control;

import io.ratisfailover.Epoch;
import io.ratisfailover.LocalRole;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.RoleChange;
import java.time.Clock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The member's local role and the one place it changes. Loop thread only. */
final class RoleTransitions {
  // MemberRuntime's logger: the log lines stay those of the member.
  private static final Logger log = LoggerFactory.getLogger(MemberRuntime.class);

  private final MemberId self;
  private final WatchdogGuard watchdog;
  private final Clock clock;
  private final Consumer<RoleChange> roleListener;
  private LocalRole role = LocalRole.STARTING;

  RoleTransitions(MemberId self, WatchdogGuard watchdog, Clock clock, Consumer<RoleChange> roleListener) {
    this.self = self;
    this.watchdog = watchdog;
    this.clock = clock;
    this.roleListener = roleListener;
  }

  LocalRole role() {
    return role;
  }

  /** The role the facts call for; the first that applies wins. */
  static LocalRole roleFor(boolean closed, boolean booted, MemberKind kind, boolean demoting, boolean elected, boolean promoted) {
    if (closed) {
      return LocalRole.STOPPED;
    } else if (!booted) {
      return LocalRole.STARTING;
    } else if (kind == MemberKind.WITNESS) {
      return LocalRole.WITNESS;
    } else if (demoting) {
      return LocalRole.DEMOTING;
    } else if (elected) {
      return promoted ? LocalRole.PRIMARY : LocalRole.CANDIDATE;
    }
    return LocalRole.REPLICA;
  }

  /** Checks the move, logs it, arms the watchdog and tells the listener. */
  void transition(LocalRole to, String why, Lease lease, Epoch epoch) {
    LocalRole from = role;
    if (from == to) {
      return;
    }
    if (from == LocalRole.STOPPED || (to == LocalRole.STARTING)) {
      throw new IllegalStateException("illegal role change " + from + " -> " + to + " for member " + self);
    }
    role = to;
    log.info("member {} epoch {}: {} -> {} ({})", self, epoch, from, to, why);
    watchdog.follow(to, lease, epoch);
    RoleChange change = new RoleChange(self, from, to, epoch, why, clock.instant());
    try {
      roleListener.accept(change);
    } catch (RuntimeException e) {
      log.error("member {} epoch {}: role listener failed: {}", self, epoch, e.toString());
    }
  }
}

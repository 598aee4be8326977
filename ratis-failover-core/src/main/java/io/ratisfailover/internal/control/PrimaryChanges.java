package io.ratisfailover.internal.control;

import io.ratisfailover.MemberId;
import io.ratisfailover.internal.state.ClusterState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this member lets go of when the cluster's primary or epoch changes: the candidate's clock,
 * a lease the new state no longer grants, the reason it fenced, and the status poll's view of the
 * old primary. Loop thread only.
 */
final class PrimaryChanges {
  // Logged under MemberRuntime, which did this itself before it had a class of its own.
  private static final Logger log = LoggerFactory.getLogger(MemberRuntime.class);

  private final MemberId self;
  private final ElectedSince elected;
  private final LeaseRenewals leases;
  private final LocalFence fences;
  private final StatusPolling status;

  PrimaryChanges(MemberId self, ElectedSince elected, LeaseRenewals leases, LocalFence fences, StatusPolling status) {
    this.self = self;
    this.elected = elected;
    this.leases = leases;
    this.fences = fences;
    this.status = status;
  }

  /** The state moved from {@code previous} to {@code next}; nothing happens unless its epoch or primary differs. */
  void between(ClusterState previous, ClusterState next, long now) {
    if (previous.epoch().equals(next.epoch()) && previous.primary().equals(next.primary())) {
      return;
    }
    elected.primaryChanged(next, now);
    if (leases.lease().held() && !next.isPrimary(self, leases.lease().epoch())) {
      leases.giveUp();
    }
    if (!previous.epoch().equals(next.epoch())) {
      // Why we fenced belongs to the epoch we fenced in.
      fences.forget();
    }
    status.primaryChanged();
    log.info("member {} epoch {}: primary is now {} (was {} in epoch {})", self, next.epoch(),
        next.primary().map(MemberId::value).orElse("nobody"), previous.primary().map(MemberId::value).orElse("nobody"),
        previous.epoch());
  }
}

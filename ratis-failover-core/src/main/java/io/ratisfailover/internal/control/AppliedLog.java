package io.ratisfailover.internal.control;

import io.ratisfailover.MemberId;
import io.ratisfailover.Ticker;
import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Rejection;
import io.ratisfailover.internal.state.Request;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated state as this member has applied it, and what each applied entry tells the
 * member's other jobs: the submitter, trust, the synchronous-standby records and commands in
 * flight, the boot barrier, the members' reports and when entries applied here. Loop thread only.
 */
final class AppliedLog {
  // Logged under MemberRuntime, which applied entries itself before this class had the job.
  private static final Logger log = LoggerFactory.getLogger(MemberRuntime.class);

  private final MemberId self;
  private final Ticker ticker;
  private final Submitter submitter;
  private final TrustAndAgreement agreement;
  private final PendingSyncRecords pendingSync;
  private final AppliedReports reports;
  private final ApplyTimes applyTimes;
  private final CommandFlights flights;
  private final BootBarrier boot;
  private final PrimaryChanges primaryChanges;
  private ClusterState state = ClusterState.EMPTY;
  private long index;

  AppliedLog(MemberId self, Ticker ticker, Submitter submitter, TrustAndAgreement agreement,
      PendingSyncRecords pendingSync, AppliedReports reports, ApplyTimes applyTimes, CommandFlights flights,
      BootBarrier boot, PrimaryChanges primaryChanges) {
    this.self = self;
    this.ticker = ticker;
    this.submitter = submitter;
    this.agreement = agreement;
    this.pendingSync = pendingSync;
    this.reports = reports;
    this.applyTimes = applyTimes;
    this.flights = flights;
    this.boot = boot;
    this.primaryChanges = primaryChanges;
  }

  ClusterState state() {
    return state;
  }

  /** The index of the last entry applied here. */
  long index() {
    return index;
  }

  /**
   * The state was replaced wholesale (restart, snapshot installed): per-entry apply times are
   * unknown, so every renewal counts as applied now and no report counts as fresh.
   */
  void loaded(ClusterState loaded, long loadedIndex) {
    ClusterState previous = state;
    state = loaded;
    index = loadedIndex;
    submitter.observe(loaded);
    agreement.checkTrust(loaded);
    primaryChanges.between(previous, loaded, ticker.nanoTime());
    applyTimes.loaded(loaded, ticker.nanoTime());
    reports.clear();
  }

  /** The entry at {@code appliedIndex} was applied, producing {@code next}. */
  void applied(long appliedIndex, Request request, ApplyResult result, ClusterState next) {
    long now = ticker.nanoTime();
    ClusterState previous = state;
    state = next;
    index = appliedIndex;
    applyTimes.applied(appliedIndex, request, result, next, now);
    reports.rememberAppliedAt(appliedIndex, now);
    submitter.observe(next);
    agreement.checkTrust(next);
    // A forgery in our name says nothing about what our own commands can still do.
    boolean ours = submitter.sent(request.origin()) && result.rejection().filter(Rejection.UNAUTHENTICATED::equals).isEmpty();
    if (ours) {
      pendingSync.settledThrough(request.origin().seq());
    }
    if (result.applied() && request.command() instanceof Command.ReportStatus report) {
      reports.reported(request.origin().member(), report, now);
    }
    primaryChanges.between(previous, next, now);
    flights.applied(appliedIndex);
    if (boot.passesAt(appliedIndex)) {
      log.info("member {} epoch {}: read the committed state up to index {}", self, next.epoch(), appliedIndex);
    }
  }
}

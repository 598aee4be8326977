package io.ratisfailover.internal.control;

import io.ratisfailover.spi.PrimaryTopology;
import java.time.Clock;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What the agent and the arbiter decide on, read from this member's jobs when a cycle runs.
 * Reads only; loop thread only.
 */
final class DecisionInputs {
  private final RuntimeConfig config;
  private final Clock clock;
  private final RenewalClock renewalClock;
  private final AppliedLog appliedLog;
  private final AppliedReports reports;
  private final ApplyTimes applyTimes;
  private final LeaseRenewals leases;
  private final StatusPolling status;
  private final LocalFence fences;
  private final ElectedSince elected;
  /** Null for a witness. */
  private final DatabaseOperations operations;
  private final PendingSyncRecords pendingSync;
  private final Supplier<Optional<PrimaryTopology>> configured;
  private final Leadership leadership;

  DecisionInputs(RuntimeConfig config, Clock clock, RenewalClock renewalClock, AppliedLog appliedLog,
      AppliedReports reports, ApplyTimes applyTimes, LeaseRenewals leases, StatusPolling status, LocalFence fences,
      ElectedSince elected, DatabaseOperations operations, PendingSyncRecords pendingSync,
      Supplier<Optional<PrimaryTopology>> configured, Leadership leadership) {
    this.config = config;
    this.clock = clock;
    this.renewalClock = renewalClock;
    this.appliedLog = appliedLog;
    this.reports = reports;
    this.applyTimes = applyTimes;
    this.leases = leases;
    this.status = status;
    this.fences = fences;
    this.elected = elected;
    this.operations = operations;
    this.pendingSync = pendingSync;
    this.configured = configured;
    this.leadership = leadership;
  }

  /** @param acting whether the agent may act: it has read the committed state, and its configuration agrees */
  Agent.Input agent(long now, boolean acting) {
    return new Agent.Input(config.self(), config.kind(), config.clusterName(), appliedLog.state(), acting,
        config.timing(), now, clock.instant(), leases.lease(), leases.nextRenewAt(), status.db(), fences.fencedFor(),
        status.primaryDownSince(), elected.since(), status.syncBarriers(), configured.get(),
        operations == null ? Optional.empty() : operations.promotedEpoch(),
        operations != null && operations.writableOperationRunning(), pendingSync.mayStillApply(),
        config.ca(), reports.sampledAfter(), config.switchoverDrain(), fences.drainingSince());
  }

  Arbiter.Input arbiter(long now) {
    return new Arbiter.Input(appliedLog.state(), config.self(), config.clusterName(), config.timing(), now,
        leadership.since(), renewalClock.measureFrom(applyTimes.renewalAppliedAt(), leadership.since()),
        applyTimes.releasedAfterSilence(), reports.reports(), config.ca());
  }
}

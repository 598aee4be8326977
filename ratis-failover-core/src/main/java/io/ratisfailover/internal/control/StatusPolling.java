package io.ratisfailover.internal.control;

import io.ratisfailover.HistoryEntry;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.Ticker;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.control.Agent.FenceReason;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.spi.DatabaseAdapter;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.PrimaryTopology;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's view of its database: status calls on the lane (one at a time, another queued behind
 * it at most), whether the last observation is older than the last operation, since when the
 * primary's database is down, and the synchronous standbys' barriers. Loop thread only; a witness
 * has one that never polls.
 */
final class StatusPolling {
  // MemberRuntime's logger: the log lines stay those of the member.
  private static final Logger log = LoggerFactory.getLogger(MemberRuntime.class);

  private final MemberId self;
  private final Timing timing;
  private final Ticker ticker;
  private final DatabaseDriver database;
  private final Supplier<ClusterState> state;
  private final Supplier<Optional<FenceReason>> fencedFor;
  /** The database is not primary: nothing it was configured with as primary stands. */
  private final Runnable notPrimary;
  /** A status call goes out: the next report is due a loop_wait later. */
  private final Runnable pollStarted;
  /** A status arrived at tick: report it. */
  private final LongConsumer report;
  private final Runnable requestCycle;
  /** This member's last applied log index. */
  private final LongSupplier appliedIndex;
  /** The topology the running primary was last configured with. */
  private final Supplier<Optional<PrimaryTopology>> configured;
  private Optional<DatabaseStatus> db = Optional.empty();
  /** The applied index when the call that observed {@link #db} started. */
  private OptionalLong sampledAfter = OptionalLong.empty();
  private long pollStartedAfter;
  private boolean polling;
  private boolean pollAgain;
  /** A database operation finished since the last observation: decisions wait for a fresh one. */
  private boolean dbStale;
  private OptionalLong primaryDownSince = OptionalLong.empty();
  private final Map<MemberId, Lsn> syncBarriers = new HashMap<>();
  /** Under quorum commit, the configuration {@link #syncBarriers} were taken for. */
  private Optional<PrimaryTopology> barriersFor = Optional.empty();

  StatusPolling(MemberId self, Timing timing, Ticker ticker, DatabaseDriver database, Supplier<ClusterState> state,
      Supplier<Optional<FenceReason>> fencedFor, Runnable notPrimary, Runnable pollStarted, LongConsumer report,
      Runnable requestCycle, LongSupplier appliedIndex, Supplier<Optional<PrimaryTopology>> configured) {
    this.self = self;
    this.timing = timing;
    this.ticker = ticker;
    this.database = database;
    this.state = state;
    this.fencedFor = fencedFor;
    this.notPrimary = notPrimary;
    this.pollStarted = pollStarted;
    this.report = report;
    this.requestCycle = requestCycle;
    this.appliedIndex = appliedIndex;
    this.configured = configured;
  }

  /** The last observation of the database; empty for a witness and before the first. */
  Optional<DatabaseStatus> db() {
    return db;
  }

  /**
   * The log index this member had applied when it started the call that observed {@link #db()}: the
   * observation is no older than any entry up to there. What a candidate under quorum commit needs
   * to know of its peers' positions (docs/design.md §4.7).
   */
  OptionalLong sampledAfter() {
    return sampledAfter;
  }

  /** A database operation finished since the last observation was asked for. */
  boolean stale() {
    return dbStale;
  }

  /** A database operation finished: decisions wait for a fresh observation. */
  void operationFinished() {
    dbStale = true;
  }

  OptionalLong primaryDownSince() {
    return primaryDownSince;
  }

  /** The primary changed: whether it is down is counted afresh. */
  void primaryChanged() {
    primaryDownSince = OptionalLong.empty();
  }

  Map<MemberId, Lsn> syncBarriers() {
    return syncBarriers;
  }

  void poll() {
    if (polling) {
      pollAgain = true;
      return;
    }
    String busy = database.operationInProgress();
    if (busy != null) {
      // The operation's completion polls again; until then the last observation stands, unless the
      // operation hangs: then nobody knows what the database does, and it must not look writable.
      if (database.operationRunningFor() > timing.statusTimeout().toNanos()
          && db.map(d -> d.state() != DatabaseState.UNKNOWN).orElse(true)) {
        db = Optional.of(DatabaseStatus.of(DatabaseState.UNKNOWN, "busy with " + busy + " for "
            + database.operationRunningFor() / 1_000_000 + " ms"));
        sampledAfter = OptionalLong.of(appliedIndex.getAsLong());
        trackPrimaryHealth(db.get(), ticker.nanoTime());
        requestCycle.run();
      }
      return;
    }
    polling = true;
    pollStartedAfter = appliedIndex.getAsLong();
    pollStarted.run();
    database.run("status", timing.statusTimeout(), DatabaseAdapter::status, this::observed);
  }

  private void observed(DatabaseDriver.Outcome<DatabaseStatus> outcome) {
    polling = false;
    boolean current = !pollAgain;
    long now = ticker.nanoTime();
    DatabaseStatus status;
    if (outcome.ok()) {
      status = outcome.value();
    } else {
      status = DatabaseStatus.of(DatabaseState.UNKNOWN, "status call failed: " + outcome.describe());
      if (db.map(d -> d.state() != DatabaseState.UNKNOWN).orElse(true)) {
        log.warn("member {} epoch {}: database status unknown: {}", self, state.get().epoch(), outcome.describe());
      }
    }
    db = Optional.of(status);
    sampledAfter = OptionalLong.of(pollStartedAfter);
    if (current) {
      dbStale = false;
    }
    trackPrimaryHealth(status, now);
    trackSynchronousBarriers(status, current);
    report.accept(now);
    if (pollAgain) {
      pollAgain = false;
      poll();
    }
    requestCycle.run();
  }

  private void trackPrimaryHealth(DatabaseStatus status, long now) {
    ClusterState state = this.state.get();
    boolean promotedPrimary = state.isPrimary(self, state.epoch())
        && state.currentEntry().map(HistoryEntry::promoted).orElse(false);
    if (!promotedPrimary || status.isPrimary() || fencedFor.get().isPresent()) {
      primaryDownSince = OptionalLong.empty();
    } else if (primaryDownSince.isEmpty()) {
      primaryDownSince = OptionalLong.of(now);
      log.warn("member {} epoch {}: the primary's database is {}", self, state.epoch(), status.state());
    }
    if (!status.isPrimary()) {
      notPrimary.run();
    }
  }

  /**
   * @param current the observation started after the last database operation finished: a
   *     configuration it shows had taken effect when it started
   */
  private void trackSynchronousBarriers(DatabaseStatus status, boolean current) {
    if (!status.isPrimary()) {
      syncBarriers.clear();
      barriersFor = Optional.empty();
      return;
    }
    Optional<PrimaryTopology> topology = configured.get();
    if (topology.filter(t -> t.quorum() > 0).isPresent()) {
      // Quorum commit: commits acknowledged under an earlier configuration (a smaller quorum, other
      // members) may be on fewer of these standbys, so a barrier counts for one configuration only.
      if (!topology.equals(barriersFor)) {
        syncBarriers.clear();
        if (!current) {
          return;
        }
        barriersFor = topology;
      }
    } else if (barriersFor.isPresent()) {
      syncBarriers.clear();
      barriersFor = Optional.empty();
    }
    syncBarriers.keySet().retainAll(status.synchronousStandbys());
    for (MemberId m : status.synchronousStandbys()) {
      syncBarriers.putIfAbsent(m, status.writeLsn());
    }
  }
}

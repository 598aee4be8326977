package io.ratisfailover.internal.control;

import io.ratisfailover.Epoch;
import io.ratisfailover.MemberId;
import io.ratisfailover.ServerParameters;
import io.ratisfailover.Ticker;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.spi.DatabaseAdapter;
import io.ratisfailover.spi.DatabaseException;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.Fencer;
import io.ratisfailover.spi.PrimaryTopology;
import io.ratisfailover.spi.Upstream;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's operations on its database's lane (bootstrap, start, promote, configure, the
 * cluster's settings): the lease check before anything becomes writable, what a finished operation
 * leaves configured, and the backoff after failures. Loop thread only, except {@link #execute},
 * which runs on the database thread.
 */
final class DatabaseOperations {
  // MemberRuntime's logger: the log lines stay those of the member.
  private static final Logger log = LoggerFactory.getLogger(MemberRuntime.class);

  private final MemberId self;
  private final Timing timing;
  private final Ticker ticker;
  private final DatabaseDriver database;
  private final Fencer fencer;
  /** Whether the published snapshot still shows this member holding the lease of an epoch; any thread. */
  private final Predicate<Epoch> holdsLeaseFor;
  /** Publishes the member's snapshot, which the database thread re-checks the lease against. */
  private final Runnable publish;
  /** An operation other than a reconfiguration succeeded: whatever the member fenced for is over. */
  private final Runnable fenceCleared;
  /** An operation finished, whatever its outcome: the last observation is out of date. */
  private final Runnable finished;
  private final ParameterSync parameterSync = new ParameterSync();
  private Optional<PrimaryTopology> configured = Optional.empty();
  private Optional<Epoch> promotedEpoch = Optional.empty();
  /**
   * The name of the last operation started if it makes the database writable (promotion, bootstrap,
   * start as primary), else null. It counts as running while the lane is busy with it: a timed-out
   * call may still be running. Status polls share the lane and do not count.
   */
  private String writableOperation;
  /**
   * The epoch whose operations failed last, how many times in a row, and when the next may be
   * tried. The backoff holds back that epoch only: a new one asks for something new (follow the new
   * primary, promote this member), which must not wait out the 30 s a standby reached retrying to
   * follow a primary that was down.
   */
  private Optional<Epoch> failingEpoch = Optional.empty();
  private int operationFailures;
  private long retryOperationsAt;

  DatabaseOperations(MemberId self, Timing timing, Ticker ticker, DatabaseDriver database, Fencer fencer,
      Predicate<Epoch> holdsLeaseFor, Runnable publish, Runnable fenceCleared, Runnable finished) {
    this.self = self;
    this.timing = timing;
    this.ticker = ticker;
    this.database = database;
    this.fencer = fencer;
    this.holdsLeaseFor = holdsLeaseFor;
    this.publish = publish;
    this.fenceCleared = fenceCleared;
    this.finished = finished;
  }

  /** The primary topology the database was last configured with, while it is primary. */
  Optional<PrimaryTopology> configured() {
    return configured;
  }

  /** The database is no longer primary: whatever it was configured with is gone. */
  void notPrimary() {
    configured = Optional.empty();
  }

  /** The epoch this member last promoted (or bootstrapped) its database in. */
  Optional<Epoch> promotedEpoch() {
    return promotedEpoch;
  }

  /** An operation that makes the database writable is still on the lane. */
  boolean writableOperationRunning() {
    return writableOperation != null && writableOperation.equals(database.operationInProgress());
  }

  /** Runs an operator's command (restart, reload, reinitialize) on the lane; {@code done} completes with its outcome. */
  void runOperatorCommand(String name, DatabaseCommand command, CompletableFuture<Void> done) {
    database.<Void>run(name, timing.operationTimeout(), adapter -> {
      command.run(adapter);
      return null;
    }, outcome -> {
      if (outcome.ok()) {
        done.complete(null);
      } else {
        done.completeExceptionally(outcome.error());
      }
      finished.run();
    });
  }

  void operate(Agent.Operation operation, ClusterState state, Lease lease, Optional<Upstream> previous) {
    if (database.operationInProgress() != null || heldBack(state.epoch())) {
      return;
    }
    Duration timeout = operation instanceof Agent.Operation.Bootstrap || operation instanceof Agent.Operation.StartReplica
        ? timing.provisionTimeout() : timing.operationTimeout();
    Epoch epoch = state.epoch();
    if (makesWritable(operation)) {
      // The database thread re-checks the lease against the published snapshot: publish it first.
      publish.run();
      // S3: make the database writable only for the current epoch we hold the lease of.
      if (!lease.isValid(ticker.nanoTime(), state, self)) {
        throw new IllegalStateException("member " + self + " about to make its database writable without a valid lease for epoch " + epoch);
      }
      log.info("member {} epoch {}: {}", self, epoch, operation.name());
    } else {
      log.info("member {} epoch {}: {}", self, epoch, describe(operation));
    }
    writableOperation = makesWritable(operation) ? operation.name() : null;
    database.<Void>run(operation.name(), timeout, adapter -> {
      execute(adapter, operation, epoch, previous);
      return null;
    }, outcome -> operated(operation, epoch, outcome));
  }

  private void execute(DatabaseAdapter adapter, Agent.Operation operation, Epoch epoch, Optional<Upstream> previous)
      throws DatabaseException {
    if (makesWritable(operation)) {
      // This runs on the database thread, possibly long after the decision (a hung server thawed,
      // a queue drained): the epoch may have moved on. Check again, against the published snapshot.
      if (!holdsLeaseFor.test(epoch)) {
        throw new DatabaseException(DatabaseException.Kind.TRANSIENT,
            "the lease for epoch " + epoch + " is no longer held: not making the database writable");
      }
    }
    if (operation instanceof Agent.Operation.Bootstrap b) {
      adapter.bootstrap(b.topology());
    } else if (operation instanceof Agent.Operation.StartReplica r) {
      adapter.startReplica(r.upstream());
    } else if (operation instanceof Agent.Operation.Promote p) {
      try {
        fencer.beforePromote(self, epoch, previous);
      } catch (Fencer.FenceFailedException e) {
        throw new DatabaseException(DatabaseException.Kind.FATAL, "fencer vetoed the promotion: " + e.getMessage(), e);
      }
      adapter.promote(p.promotion());
    } else if (operation instanceof Agent.Operation.StartPrimary p) {
      adapter.startPrimary(p.topology());
    } else if (operation instanceof Agent.Operation.ConfigurePrimary c) {
      adapter.configurePrimary(c.topology());
    }
  }

  private static boolean makesWritable(Agent.Operation operation) {
    return operation instanceof Agent.Operation.Promote || operation instanceof Agent.Operation.Bootstrap
        || operation instanceof Agent.Operation.StartPrimary;
  }

  private void operated(Agent.Operation operation, Epoch epoch, DatabaseDriver.Outcome<Void> outcome) {
    if (outcome.ok()) {
      if (!(operation instanceof Agent.Operation.ConfigurePrimary)) {
        fenceCleared.run();
      }
      if (operation instanceof Agent.Operation.ConfigurePrimary c) {
        configured = Optional.of(c.topology());
      } else if (operation instanceof Agent.Operation.Promote p) {
        configured = Optional.of(p.promotion().topology());
        promotedEpoch = Optional.of(epoch);
      } else if (operation instanceof Agent.Operation.Bootstrap b) {
        configured = Optional.of(b.topology());
        promotedEpoch = Optional.of(epoch);
      } else if (operation instanceof Agent.Operation.StartPrimary s) {
        configured = Optional.of(s.topology());
      }
      log.info("member {} epoch {}: {} done", self, epoch, operation.name());
      failingEpoch = Optional.empty();
      operationFailures = 0;
    } else if (!(outcome.error() instanceof DatabaseDriver.LaneBusyException)) {
      operationFailures = failingEpoch.equals(Optional.of(epoch)) ? operationFailures + 1 : 1;
      failingEpoch = Optional.of(epoch);
      Duration backoff = backoff(operationFailures);
      retryOperationsAt = Ticks.plus(ticker.nanoTime(), backoff);
      log.error("member {} epoch {}: {} failed (attempt {}, next in {} ms): {}", self, epoch, operation.name(),
          operationFailures, backoff.toMillis(), outcome.describe());
    }
    finished.run();
  }

  /**
   * The cluster's PostgreSQL settings, when they differ from those this database last took. Only
   * when the agent acts on a fresh observation of a running database, the operation lane is idle
   * and {@code decision} wants no operation: a settings change never delays a promotion, a fence
   * or a restart in another role.
   */
  void applyClusterParameters(ClusterState state, Agent.Decision decision, Optional<DatabaseStatus> observed, long now) {
    ServerParameters wanted = state.settings().postgresql();
    Epoch epoch = state.epoch();
    if (database.operationInProgress() != null || observed.filter(s -> s.state() != DatabaseState.ABSENT).isEmpty()
        || decision.actions().stream().anyMatch(a -> a instanceof Agent.Action.Operate) || !parameterSync.due(wanted, now)) {
      return;
    }
    database.<Void>run("apply cluster settings", timing.operationTimeout(), adapter -> {
      adapter.applyClusterParameters(wanted);
      return null;
    }, outcome -> {
      if (outcome.ok()) {
        parameterSync.succeeded(wanted);
      } else if (!(outcome.error() instanceof DatabaseDriver.LaneBusyException)) {
        int failures = parameterSync.failures() + 1;
        parameterSync.failed(ticker.nanoTime(), backoff(failures));
        log.warn("member {} epoch {}: applying the cluster's PostgreSQL settings failed (attempt {}): {}", self, epoch,
            failures, outcome.describe());
      }
      finished.run();
    });
  }

  private boolean heldBack(Epoch epoch) {
    return failingEpoch.equals(Optional.of(epoch)) && Ticks.before(ticker.nanoTime(), retryOperationsAt);
  }

  /** loop_wait after the first failure, doubling up to 30 s: persistent trouble must not become a storm. */
  private Duration backoff(int failures) {
    Duration d = timing.loopWait().multipliedBy(1L << Math.min(failures - 1, 10));
    Duration cap = Duration.ofSeconds(30);
    return d.compareTo(cap) > 0 ? cap : d;
  }

  private static String describe(Agent.Operation operation) {
    if (operation instanceof Agent.Operation.StartReplica r) {
      return "start as standby of " + r.upstream().map(u -> u.member().value()).orElse("no upstream yet");
    }
    if (operation instanceof Agent.Operation.ConfigurePrimary c) {
      return "configure primary: synchronous standbys " + c.topology().synchronousStandbys();
    }
    return operation.name();
  }
}

package io.ratisfailover.internal.control;

import io.ratisfailover.Epoch;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.LocalRole;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.RoleChange;
import io.ratisfailover.Ticker;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.control.Agent.FenceReason;
import io.ratisfailover.internal.control.CommandFlights.Flight;
import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Rejection;
import io.ratisfailover.internal.state.Request;
import io.ratisfailover.spi.DatabaseAdapter;
import io.ratisfailover.spi.DatabaseEvents;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.Fencer;
import io.ratisfailover.spi.Upstream;
import io.ratisfailover.spi.Watchdog;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One member's agent and arbiter, driven by events on a single {@link Loop}: applied log entries,
 * replies to its commands, database results, leadership changes and its own timer. Each event
 * ends in a decision cycle: {@link Agent#decide} and, on the Raft leader, {@link Arbiter#decide};
 * this class performs what they decide and remembers what is in flight. All fields are confined to
 * the loop; other threads read the {@link LocalSnapshot} it publishes.
 */
public final class MemberRuntime {
  private static final Logger log = LoggerFactory.getLogger(MemberRuntime.class);

  /** Commands the agent sends; at most one of each kind is in flight. */
  private final RuntimeConfig config;
  private final MemberId self;
  private final Timing timing;
  private final Loop loop;
  private final Ticker ticker;
  private final Clock clock;
  private final Submitter submitter;
  private final TrustAndAgreement agreement;
  private final Consensus consensus;
  private final DatabaseDriver database;
  /** The agent's operations on the database; null for a witness. */
  private final DatabaseOperations operations;
  private final Fencer fencer;
  private final WatchdogGuard watchdog;
  private final RenewalClock renewalClock;
  private final LeaseRenewals leases;
  private final AgentCommands commands;
  private final AgentPolicy agent;

  // replicated view
  private ClusterState state = ClusterState.EMPTY;
  private long appliedIndex;
  private final AppliedReports reports;
  private long renewalAppliedAt;
  private PredecessorSilence predecessorSilence = PredecessorSilence.NONE;

  // Raft leadership
  private boolean leader;
  private long leaderSince;
  private Optional<MemberId> raftLeader = Optional.empty();
  private long raftTerm;
  private final ArbiterActions arbiterActions;

  // agent
  /** Reports wait for the Raft server: before it runs, the agent only watches and fences its database. */
  private boolean consensusStarted;
  private boolean booted;
  private long bootBarrierIndex = -1;
  /** Its reports were refused as from a stranger: said once. */
  private boolean waitingToBeAdded;
  private long nextReportAt;
  private final StatusPolling status;
  private final LocalFence fences;
  private OptionalLong candidateSince = OptionalLong.empty();
  private Epoch candidateEpoch = Epoch.ZERO;
  /** The last synchronous-standby record sent, until it is seen applied or overtaken by a later command of ours. */
  private final PendingSyncRecords pendingSync = new PendingSyncRecords();
  private final CommandFlights flights;
  // loop bookkeeping
  private final RoleTransitions roles;
  private String reason = "starting";
  private boolean cycleRequested;
  private Loop.Cancellable wakeUp;
  private long wakeAt;
  private long lastCycleNanos;
  /** Tick at which the last decision cycle ended (start-up counts as one): how liveness checks see a stuck loop. */
  private long lastCycleAt;
  private boolean closed;
  private volatile LocalSnapshot snapshot;

  /**
   * @param database the local database; null for a witness
   * @param operationLane runs blocking database calls, one at a time (ignored for a witness)
   * @param fenceLane runs fences, which must not queue behind a hung call (ignored for a witness)
   * @param renewalClock measures the primary's lease on the arbiter's side
   * @param agent the rules the agent decides by
   * @param roleListener told about every role change, on the loop; must not block
   */
  public MemberRuntime(RuntimeConfig config, Loop loop, Ticker ticker, Clock clock, Submitter submitter,
      Consensus consensus, DatabaseAdapter database, Executor operationLane, Executor fenceLane, Fencer fencer,
      Watchdog watchdog, RenewalClock renewalClock, AgentPolicy agent, Consumer<RoleChange> roleListener) {
    this.config = config;
    this.self = config.self();
    this.timing = config.timing();
    this.loop = loop;
    this.ticker = ticker;
    this.clock = clock;
    this.submitter = submitter;
    this.agreement = new TrustAndAgreement(config);
    this.reports = new AppliedReports(timing);
    this.flights = new CommandFlights(submitter, loop, timing.rpcTimeout(), () -> appliedIndex, this::requestCycle);
    this.consensus = consensus;
    this.database = database == null ? null
        : new DatabaseDriver(database, operationLane, fenceLane, loop, ticker, this::requestCycle);
    this.fencer = fencer;
    this.watchdog = new WatchdogGuard(config.self(), watchdog, ticker);
    this.renewalClock = renewalClock;
    this.agent = agent;
    this.roles = new RoleTransitions(self, this.watchdog, clock, roleListener);
    // Ticks have no meaningful zero (they may be negative): every tick field starts at "now".
    long now = ticker.nanoTime();
    this.renewalAppliedAt = now;
    this.leaderSince = now;
    this.fences = new LocalFence(self, timing, this.database, fencer, this::databaseCallFinished);
    this.status = new StatusPolling(self, timing, ticker, this.database, () -> state, fences::fencedFor,
        this::databaseNotPrimary, () -> nextReportAt = Ticks.plus(ticker.nanoTime(), timing.loopWait()),
        this::report, this::requestCycle);
    this.operations = this.database == null ? null : new DatabaseOperations(self, timing, ticker, this.database, fencer,
        this::holdsLeaseFor, this::publish, fences::forget, this::databaseCallFinished, now);
    this.arbiterActions = new ArbiterActions(self, timing, flights, consensus, () -> state.epoch(), now);
    this.leases = new LeaseRenewals(self, timing, ticker, loop, submitter, flights, this.watchdog, roles::role,
        () -> state.epoch(), () -> closed, this::requestCycle, now);
    this.commands = new AgentCommands(config, flights, leases, pendingSync, () -> state.epoch(), this::publish);
    this.nextReportAt = now;
    this.lastCycleAt = now;
    if ((database == null) != (config.kind() == MemberKind.WITNESS)) {
      throw new IllegalArgumentException("a " + config.kind() + " member " + (database == null ? "needs" : "has no use for")
          + " a database adapter");
    }
    publish();
  }

  // --- events (all on the loop) --------------------------------------------------------------

  /** Starts the agent: observe the database, then pass the boot barrier. */
  public void start() {
    loop.execute(() -> {
      if (database != null) {
        database.adapter().attach(new DatabaseEvents() {
          @Override
          public void statusMayHaveChanged() {
            loop.execute(MemberRuntime.this::pollNow);
          }

          @Override
          public boolean mayBecomeWritable(Epoch epoch) {
            return holdsLeaseFor(epoch);
          }
        });
      }
      long now = ticker.nanoTime();
      leases.renewFrom(now);
      nextReportAt = now;
      if (database != null) {
        status.poll();
      }
      cycle();
    });
  }

  /** The Raft server runs: the agent reports from now on, first at once. */
  public void consensusStarted() {
    loop.execute(() -> {
      consensusStarted = true;
      nextReportAt = ticker.nanoTime();
      requestCycle();
    });
  }

  /**
   * The state was replaced wholesale (restart, snapshot installed): per-entry apply times are
   * unknown, so every renewal counts as applied now and no report counts as fresh.
   */
  public void stateLoaded(ClusterState loaded, long index) {
    assert loop.inLoop();
    ClusterState previous = state;
    state = loaded;
    appliedIndex = index;
    submitter.observe(loaded);
    agreement.checkTrust(loaded);
    if (!previous.epoch().equals(loaded.epoch()) || !previous.primary().equals(loaded.primary())) {
      onPrimaryChanged(previous, loaded, ticker.nanoTime());
    }
    renewalAppliedAt = renewalClock.loaded(ticker.nanoTime());
    if (loaded.isPrimary(self, loaded.epoch()) && !predecessorSilence.epoch().equals(loaded.epoch())) {
      // The election's apply time is lost with the entries: count the previous primary's silence from now.
      predecessorSilence = new PredecessorSilence(loaded.epoch(), ticker.nanoTime(), Duration.ZERO);
    }
    reports.clear();
    requestCycle();
  }

  /** One log entry was applied, producing {@code next}. */
  public void applied(long index, Request request, ApplyResult result, ClusterState next) {
    assert loop.inLoop();
    long now = ticker.nanoTime();
    ClusterState previous = state;
    state = next;
    appliedIndex = index;
    if (next.lastRenewalIndex() == index) {
      renewalAppliedAt = renewalClock.applied(now, request, next, clock.millis());
    }
    reports.rememberAppliedAt(index, now);
    if (result.applied() && request.command() instanceof Command.Elect elect && elect.candidate().equals(self)) {
      predecessorSilence = new PredecessorSilence(elect.epoch(), now, elect.predecessorSilent());
    }
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
    if (!previous.epoch().equals(next.epoch()) || !previous.primary().equals(next.primary())) {
      onPrimaryChanged(previous, next, now);
    }
    flights.applied(index);
    if (!booted && bootBarrierIndex >= 0 && index >= bootBarrierIndex) {
      booted = true;
      log.info("member {} epoch {}: read the committed state up to index {}", self, next.epoch(), index);
    }
    requestCycle();
  }

  /** This node became, or stopped being, the Raft leader whose arbiter may act. */
  public void leadership(boolean isLeader) {
    assert loop.inLoop();
    if (isLeader && !leader) {
      leaderSince = ticker.nanoTime();
      log.info("member {} epoch {}: now the Raft leader; arbitrating", self, state.epoch());
    } else if (!isLeader && leader) {
      log.info("member {} epoch {}: no longer the Raft leader", self, state.epoch());
      flights.landed(Flight.ARBITER);
    }
    leader = isLeader;
    requestCycle();
  }

  /** Who leads the Raft group now, for views. */
  public void raftLeader(Optional<MemberId> leaderId, long term) {
    assert loop.inLoop();
    raftLeader = leaderId;
    raftTerm = term;
    publish();
  }

  public void close() {
    assert loop.inLoop();
    if (closed) {
      return;
    }
    closed = true;
    if (wakeUp != null) {
      wakeUp.cancel();
    }
    watchdog.disarm(state.epoch());
    transition(LocalRole.STOPPED, "closed");
    publish();
  }

  public LocalSnapshot snapshot() {
    return snapshot;
  }

  /** An operator's command on the local database. */
  @FunctionalInterface
  public interface DatabaseCommand {
    void run(DatabaseAdapter adapter) throws io.ratisfailover.spi.DatabaseException;
  }

  /** Runs an operator's database command (restart, reload, reinitialize) on the operation lane. */
  public CompletableFuture<Void> runDatabaseCommand(String name, DatabaseCommand command) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    loop.execute(() -> {
      if (database == null) {
        done.completeExceptionally(new IllegalStateException("witness " + self + " has no database"));
        return;
      }
      database.<Void>run(name, timing.operationTimeout(), adapter -> {
        command.run(adapter);
        return null;
      }, outcome -> {
        if (outcome.ok()) {
          done.complete(null);
        } else {
          done.completeExceptionally(outcome.error());
        }
        databaseCallFinished();
      });
    });
    return done;
  }

  /** The upstream a reinitialized standby would clone from: the current primary, if any. */
  public Optional<Upstream> currentUpstream() {
    LocalSnapshot s = snapshot;
    return s.state().primary().filter(p -> !p.equals(self))
        .map(p -> new Upstream(p, s.state().member(p).map(m -> m.attributes()).orElse(Map.of())));
  }

  // --- the cycle ------------------------------------------------------------------------------

  private void requestCycle() {
    if (!cycleRequested && !closed) {
      cycleRequested = true;
      loop.execute(this::cycle);
    }
  }

  private void cycle() {
    cycleRequested = false;
    if (closed) {
      return;
    }
    long started = ticker.nanoTime();
    long now = started;
    if (Ticks.reached(now, nextReportAt)) {
      if (database != null) {
        status.poll();
      } else {
        report(now);
      }
    }
    agreement.checkAgreement(state, booted);
    Agent.Decision decision = agent.decide(agentInput(now));
    for (Agent.Action action : decision.actions()) {
      // After an operation the last observation is out of date; only the lease may move on meanwhile.
      if (!status.stale() || isRenewal(action)) {
        perform(action, now);
      }
    }
    applyClusterParameters(decision, now);
    long next = Ticks.earlier(decision.nextCheckAt(), nextReportAt);
    String why = agreement.refusal().map(r -> "refusing to run: " + r)
        .orElse(status.stale() ? "waiting for a fresh database status after an operation" : decision.reason());
    if (leader && acting()) {
      Arbiter.Decision verdict = Arbiter.decide(arbiterInput(now));
      verdict.action().ifPresent(a -> arbiterActions.arbitrate(a, verdict.reason(), now));
      next = Ticks.earlier(next, verdict.nextCheckAt());
      why = why + "; arbiter: " + verdict.reason();
      arbiterActions.placeLeader(state, now);
    }
    if (!why.equals(reason)) {
      log.debug("member {} epoch {}: {}", self, state.epoch(), why);
    }
    reason = why;
    updateRole();
    lastCycleAt = ticker.nanoTime();
    lastCycleNanos = lastCycleAt - started;
    publish();
    // Once the view says so: whoever stops this member on the refusal sees the reason in it.
    agreement.announceRefusal();
    scheduleWakeUp(next);
  }

  private Agent.Input agentInput(long now) {
    return new Agent.Input(self, config.kind(), config.clusterName(), state, acting(), timing, now, clock.instant(),
        leases.lease(), leases.nextRenewAt(), status.db(), fences.fencedFor(), status.primaryDownSince(), candidateSince,
        status.syncBarriers(), operations == null ? Optional.empty() : operations.configured(),
        operations == null ? Optional.empty() : operations.promotedEpoch(),
        operations != null && operations.writableOperationRunning(), pendingSync.mayStillAdd(),
        config.ca());
  }

  private Arbiter.Input arbiterInput(long now) {
    return new Arbiter.Input(state, self, config.clusterName(), timing, now, leaderSince,
        renewalClock.measureFrom(renewalAppliedAt, leaderSince), reports.reports(), config.ca());
  }

  /** Has read the committed state, and its configuration agrees with it: the agent and arbiter may act. */
  private boolean acting() {
    return booted && agreement.refusal().isEmpty();
  }

  /**
   * Completes, with a one-line error, when this member's configuration turns out to disagree with
   * the cluster's (its name or peers list): the member then only keeps its database fenced, and
   * its host should stop it.
   */
  public CompletableFuture<String> refused() {
    return agreement.refused();
  }

  private void scheduleWakeUp(long at) {
    long now = ticker.nanoTime();
    long floor = now + 1_000_000; // never spin: at most one cycle a millisecond from the timer
    long target = Ticks.later(at, floor);
    if (wakeUp != null && wakeAt == target) {
      return;
    }
    if (wakeUp != null) {
      wakeUp.cancel();
    }
    wakeAt = target;
    wakeUp = loop.schedule(Duration.ofNanos(target - now), () -> {
      wakeUp = null;
      cycle();
    });
  }

  // --- performing the agent's actions ---------------------------------------------------------

  private static boolean isRenewal(Agent.Action action) {
    return action instanceof Agent.Action.Submit submit && submit.command() instanceof Command.Renew;
  }

  private void perform(Agent.Action action, long now) {
    if (action instanceof Agent.Action.Submit submit) {
      commands.send(submit.command(), now);
    } else if (action instanceof Agent.Action.Operate operate) {
      operations.operate(operate.operation(), state, leases.lease(), previousPrimary());
    } else if (action instanceof Agent.Action.Fence fence) {
      fence(fence);
    } else if (action instanceof Agent.Action.ProposeBootstrap) {
      commands.proposeBootstrap();
    }
  }

  /**
   * Whether, according to the last published snapshot, this member is primary of {@code epoch} with
   * a valid lease for it. Safe from any thread: the database thread asks right before it makes the
   * database writable, possibly long after the decision (a hung server thawed, a queue drained).
   */
  private boolean holdsLeaseFor(Epoch epoch) {
    LocalSnapshot now = snapshot;
    return now.state().isPrimary(self, epoch) && now.lease().epoch().equals(epoch)
        && now.leaseRemainingNanos(ticker.nanoTime()) > 0;
  }

  /**
   * The cluster's PostgreSQL settings, when they differ from those this database last took. Only
   * when the operation lane is idle and the agent wants no operation: a settings change never
   * delays a promotion, a fence or a restart in another role.
   */
  private void applyClusterParameters(Agent.Decision decision, long now) {
    if (database == null || !acting() || status.stale() || database.operationInProgress() != null
        || status.db().filter(s -> s.state() != DatabaseState.ABSENT).isEmpty()
        || decision.actions().stream().anyMatch(a -> a instanceof Agent.Action.Operate)) {
      return;
    }
    operations.applyClusterParameters(state.settings().postgresql(), state.epoch(), now);
  }

  private void fence(Agent.Action.Fence fence) {
    if (!fences.begin(fence.reason())) {
      return;
    }
    Epoch epoch = state.epoch();
    boolean wasPrimary = status.db().map(DatabaseStatus::isPrimary).orElse(false);
    if (fence.reason() != FenceReason.LEASE_LOST) {
      leases.giveUp();
    }
    reason = fence.why();
    updateRole();
    publish();
    fences.run(fence, epoch, wasPrimary);
  }

  // --- reports and status polling ---------------------------------------------------------------

  /** A database call finished: decisions wait for a fresh observation, which is asked for at once. */
  private void databaseCallFinished() {
    status.operationFinished();
    pollNow();
  }

  private void pollNow() {
    if (!closed && database != null) {
      status.poll();
    }
  }

  private void report(long now) {
    if (!consensusStarted || agreement.refusal().isPresent() || !flights.takeOff(Flight.REPORT)) {
      return;
    }
    nextReportAt = Ticks.plus(now, database == null && booted ? timing.ttl() : timing.loopWait());
    Command.ReportStatus report = new Command.ReportStatus(config.tags(), config.apiUrl(),
        database == null ? Map.of() : database.adapter().attributes(),
        database == null ? Optional.empty() : status.db(),
        OptionalLong.of(appliedIndex));
    flights.submit(report, (result, error) -> {
      if (error == null && !booted && bootBarrierIndex < 0 && result.rejection().filter(Rejection.UNKNOWN_MEMBER::equals)
          .isPresent()) {
        // Not a member (yet): a new member reports before it is added. The state at that index is not
        // this member's cluster as it will join it; the barrier is the first report the cluster takes.
        if (!waitingToBeAdded) {
          waitingToBeAdded = true;
          log.warn("member {} epoch {}: not a member of cluster {} at log index {}: waiting to be added (rfctl add-member)",
              self, state.epoch(), config.clusterName(), result.index());
        }
        return;
      }
      if (error == null && !booted && bootBarrierIndex < 0) {
        bootBarrierIndex = result.index();
        if (appliedIndex >= bootBarrierIndex) {
          booted = true;
        }
      }
    }, Flight.REPORT);
  }

  // --- bookkeeping ---------------------------------------------------------------------------

  private void onPrimaryChanged(ClusterState previous, ClusterState next, long now) {
    boolean electedNow = next.isPrimary(self, next.epoch());
    if (electedNow && !next.epoch().equals(candidateEpoch)) {
      candidateEpoch = next.epoch();
      candidateSince = OptionalLong.of(now);
    } else if (!electedNow) {
      candidateSince = OptionalLong.empty();
    }
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

  /** The database is not primary: whatever it was configured with as primary is gone. */
  private void databaseNotPrimary() {
    operations.notPrimary();
  }

  private Optional<Upstream> previousPrimary() {
    return state.previousPrimary().filter(p -> !p.equals(self))
        .map(p -> new Upstream(p, state.member(p).map(m -> m.attributes()).orElse(Map.of())));
  }

  private void updateRole() {
    LocalRole next;
    if (closed) {
      next = LocalRole.STOPPED;
    } else if (!booted) {
      next = LocalRole.STARTING;
    } else if (config.kind() == MemberKind.WITNESS) {
      next = LocalRole.WITNESS;
    } else if (fences.inProgress() || (fences.fencedFor().filter(FenceReason.SWITCHOVER::equals).isPresent()
        && state.isPrimary(self, state.epoch()))) {
      next = LocalRole.DEMOTING;
    } else if (state.isPrimary(self, state.epoch())) {
      boolean promoted = state.currentEntry().map(HistoryEntry::promoted).orElse(false)
          || operations.promotedEpoch().filter(state.epoch()::equals).isPresent();
      next = promoted ? LocalRole.PRIMARY : LocalRole.CANDIDATE;
    } else {
      next = LocalRole.REPLICA;
    }
    transition(next, reason);
  }

  private void transition(LocalRole to, String why) {
    roles.transition(to, why, leases.lease(), state.epoch());
  }

  private void publish() {
    snapshot = new LocalSnapshot(self, roles.role(), state, appliedIndex, leases.lease(), status.db(), fences.inProgress(), reason, leader,
        raftLeader, raftTerm, reports.reports(), lastCycleNanos, lastCycleAt, predecessorSilence);
  }

  static String describe(Throwable error) {
    Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
        ? error.getCause() : error;
    return cause.getClass().getSimpleName() + ": " + cause.getMessage();
  }
}

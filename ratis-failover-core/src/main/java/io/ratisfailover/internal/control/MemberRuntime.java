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
import io.ratisfailover.internal.state.Request;
import io.ratisfailover.spi.DatabaseAdapter;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.Fencer;
import io.ratisfailover.spi.PrimaryTopology;
import io.ratisfailover.spi.Upstream;
import io.ratisfailover.spi.Watchdog;
import java.time.Clock;
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

  private final RuntimeConfig config;
  private final MemberId self;
  private final Loop loop;
  private final Ticker ticker;
  private final TrustAndAgreement agreement;
  private final DatabaseDriver database;
  /** The agent's operations on the database; null for a witness. */
  private final DatabaseOperations operations;
  private final WatchdogGuard watchdog;
  private final LeaseRenewals leases;
  private final AgentCommands commands;
  private final AgentPolicy agent;

  // replicated view
  private final AppliedLog appliedLog;
  private final AppliedReports reports;
  private final ApplyTimes applyTimes;

  private final Leadership leadership;
  private final ArbiterActions arbiterActions;

  // agent
  private final StatusReports reporting;
  private final StatusPolling status;
  private final LocalFence fences;
  private final CommandFlights flights;
  private final DecisionInputs inputs;
  private final OperatorCommands operatorCommands;
  // loop bookkeeping
  private final RoleTransitions roles;
  private String reason = "starting";
  private final CycleTimer cycles;
  private boolean closed;
  private volatile LocalSnapshot snapshot;
  private final ServingSilence silence = new ServingSilence();

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
    Timing timing = config.timing();
    this.loop = loop;
    this.ticker = ticker;
    this.agreement = new TrustAndAgreement(config);
    this.reports = new AppliedReports(timing);
    this.flights = new CommandFlights(submitter, loop, timing.rpcTimeout(), this::appliedIndex, this::requestCycle);
    this.database = database == null ? null
        : new DatabaseDriver(database, operationLane, fenceLane, loop, ticker, this::requestCycle);
    this.watchdog = new WatchdogGuard(config.self(), watchdog, ticker);
    this.agent = agent;
    this.roles = new RoleTransitions(self, this.watchdog, clock, roleListener);
    // Ticks have no meaningful zero (they may be negative): every tick field starts at "now".
    long now = ticker.nanoTime();
    this.applyTimes = new ApplyTimes(self, renewalClock, clock, now);
    this.leadership = new Leadership(now);
    ElectedSince elected = new ElectedSince(self);
    this.cycles = new CycleTimer(loop, ticker, this::cycle, now);
    this.reporting = new StatusReports(config, flights, () -> database == null ? Map.of() : database.attributes(),
        this::appliedIndex, () -> state().epoch(), now);
    this.fences = new LocalFence(self, timing, this.database, fencer, this::databaseCallFinished);
    this.status = new StatusPolling(self, timing, ticker, this.database, this::state, fences::fencedFor,
        this::databaseNotPrimary, () -> reporting.dueAt(Ticks.plus(ticker.nanoTime(), timing.loopWait())),
        this::report, this::requestCycle, this::appliedIndex, this::configuredTopology);
    this.operations = this.database == null ? null : new DatabaseOperations(self, timing, ticker, this.database, fencer,
        this::holdsLeaseFor, this::publish, fences::forget, this::databaseCallFinished);
    this.arbiterActions = new ArbiterActions(self, timing, flights, consensus, () -> state().epoch(), now);
    this.leases = new LeaseRenewals(self, timing, ticker, loop, submitter, flights, this.watchdog, roles::role,
        () -> state().epoch(), () -> closed, this::requestCycle, now);
    // The last synchronous-standby record sent, until it is seen applied or overtaken by a later command of ours.
    PendingSyncRecords pendingSync = new PendingSyncRecords();
    this.commands = new AgentCommands(config, flights, leases, pendingSync, () -> state().epoch(), this::publish,
        silence);
    this.appliedLog = new AppliedLog(self, ticker, submitter, agreement, pendingSync, reports, applyTimes, flights,
        reporting.boot(), new PrimaryChanges(self, elected, leases, fences, status));
    this.inputs = new DecisionInputs(config, clock, renewalClock, appliedLog, reports, applyTimes, leases, status, fences,
        elected, operations, pendingSync, this::configuredTopology, leadership);
    this.operatorCommands = new OperatorCommands(self, loop, operations, this::snapshot);
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
        database.attach(this::pollNow, this::holdsLeaseFor);
      }
      long now = ticker.nanoTime();
      leases.renewFrom(now);
      reporting.dueAt(now);
      if (database != null) {
        status.poll();
      }
      cycle();
    });
  }

  /** The Raft server runs: the agent reports from now on, first at once. */
  public void consensusStarted() {
    loop.execute(() -> {
      reporting.consensusStarted(ticker.nanoTime());
      requestCycle();
    });
  }

  /**
   * The state was replaced wholesale (restart, snapshot installed): per-entry apply times are
   * unknown, so every renewal counts as applied now and no report counts as fresh.
   */
  public void stateLoaded(ClusterState loaded, long index) {
    assert loop.inLoop();
    appliedLog.loaded(loaded, index);
    requestCycle();
  }

  /** One log entry was applied, producing {@code next}. */
  public void applied(long index, Request request, ApplyResult result, ClusterState next) {
    assert loop.inLoop();
    appliedLog.applied(index, request, result, next);
    requestCycle();
  }

  /** This node became, or stopped being, the Raft leader whose arbiter may act. */
  public void leadership(boolean isLeader) {
    assert loop.inLoop();
    if (leadership.set(isLeader, ticker.nanoTime())) {
      log.info(isLeader ? "member {} epoch {}: now the Raft leader; arbitrating" : "member {} epoch {}: no longer the Raft leader",
          self, state().epoch());
      if (!isLeader) {
        flights.landed(Flight.ARBITER);
      }
    }
    requestCycle();
  }

  /** Who leads the Raft group now, for views. */
  public void raftLeader(Optional<MemberId> leaderId, long term) {
    assert loop.inLoop();
    leadership.observed(leaderId, term);
    publish();
  }

  public void close() {
    assert loop.inLoop();
    if (closed) {
      return;
    }
    closed = true;
    cycles.stop();
    watchdog.disarm(state().epoch());
    transition(LocalRole.STOPPED, "closed");
    publish();
  }

  public LocalSnapshot snapshot() {
    return snapshot;
  }

  /**
   * Completes, with a one-line error, when this member's configuration turns out to disagree with
   * the cluster's (its name or peers list): the member then only keeps its database fenced, and
   * its host should stop it.
   */
  public CompletableFuture<String> refused() {
    return agreement.refused();
  }

  /** The operator's commands on this member's database. */
  public OperatorCommands operatorCommands() {
    return operatorCommands;
  }

  // --- the cycle ------------------------------------------------------------------------------

  private void requestCycle() {
    cycles.request();
  }

  private void cycle() {
    cycles.began();
    if (closed) {
      return;
    }
    long started = ticker.nanoTime();
    long now = started;
    if (Ticks.reached(now, reporting.nextAt())) {
      if (database != null) {
        status.poll();
      } else {
        report(now);
      }
    }
    agreement.checkAgreement(state(), booted());
    Agent.Decision decision = agent.decide(inputs.agent(now, acting()));
    if (decision.actions().stream().noneMatch(Agent.Action.Drain.class::isInstance)) {
      fences.drainOver();
    }
    for (Agent.Action action : decision.actions()) {
      // After an operation the last observation is out of date; only the lease may move on meanwhile.
      if (!status.stale() || isRenewal(action)) {
        perform(action, now);
      }
    }
    if (operations != null && acting() && !status.stale()) {
      operations.applyClusterParameters(state(), decision, status.db(), now);
    }
    long next = Ticks.earlier(decision.nextCheckAt(), reporting.nextAt());
    String why = agreement.refusal().map(r -> "refusing to run: " + r)
        .orElse(status.stale() ? "waiting for a fresh database status after an operation" : decision.reason());
    if (leadership.leads() && acting()) {
      Arbiter.Decision verdict = Arbiter.decide(inputs.arbiter(now));
      verdict.action().ifPresent(a -> arbiterActions.arbitrate(a, verdict.reason(), now));
      next = Ticks.earlier(next, verdict.nextCheckAt());
      why = why + "; arbiter: " + verdict.reason();
      arbiterActions.placeLeader(state(), now);
    }
    if (!why.equals(reason)) {
      log.debug("member {} epoch {}: {}", self, state().epoch(), why);
    }
    reason = why;
    updateRole();
    cycles.ended(started, next);
    publish();
    // Once the view says so: whoever stops this member on the refusal sees the reason in it.
    agreement.announceRefusal();
  }

  private Optional<PrimaryTopology> configuredTopology() {
    return operations == null ? Optional.empty() : operations.configured();
  }

  private ClusterState state() {
    return appliedLog.state();
  }

  private long appliedIndex() {
    return appliedLog.index();
  }

  private boolean booted() {
    return reporting.boot().passed();
  }

  /** Has read the committed state, and its configuration agrees with it: the agent and arbiter may act. */
  private boolean acting() {
    return booted() && agreement.refusal().isEmpty();
  }

  // --- performing the agent's actions ---------------------------------------------------------

  private static boolean isRenewal(Agent.Action action) {
    return action instanceof Agent.Action.Submit submit && submit.command() instanceof Command.Renew;
  }

  private void perform(Agent.Action action, long now) {
    if (action instanceof Agent.Action.Submit submit) {
      commands.send(submit.command(), now);
    } else if (action instanceof Agent.Action.Operate operate) {
      operations.operate(operate.operation(), state(), leases.lease(), previousPrimary());
    } else if (action instanceof Agent.Action.Fence fence) {
      fence(fence);
    } else if (action instanceof Agent.Action.Drain) {
      fences.drain(now);
    } else if (action instanceof Agent.Action.ProposeBootstrap) {
      commands.proposeBootstrap();
    }
  }

  /** {@link LocalSnapshot#holdsLeaseFor} of the last published snapshot: safe from any thread. */
  private boolean holdsLeaseFor(Epoch epoch) {
    return snapshot.holdsLeaseFor(epoch, ticker.nanoTime());
  }

  private void fence(Agent.Action.Fence fence) {
    if (!fences.begin(fence.reason())) {
      return;
    }
    Epoch epoch = state().epoch();
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
    reporting.send(now, database == null ? Optional.empty() : status.db(),
        database == null ? OptionalLong.empty() : status.sampledAfter(), agreement.refusal().isPresent());
  }

  // --- bookkeeping ---------------------------------------------------------------------------

  /** The database is not primary: whatever it was configured with as primary is gone. */
  private void databaseNotPrimary() {
    operations.notPrimary();
  }

  private Optional<Upstream> previousPrimary() {
    return state().previousPrimary().filter(p -> !p.equals(self)).map(p -> upstream(state(), p));
  }

  /** {@code member} as a database follows it, with the attributes the state records for it. */
  static Upstream upstream(ClusterState s, MemberId member) {
    return new Upstream(member, s.member(member).map(m -> m.attributes()).orElse(Map.of()));
  }

  private void updateRole() {
    boolean isPrimary = state().isPrimary(self, state().epoch());
    boolean demoting = fences.inProgress() || fences.drainingSince().isPresent()
        || (isPrimary && fences.fencedFor().filter(FenceReason.SWITCHOVER::equals).isPresent());
    boolean promoted = isPrimary && (state().currentEntry().map(HistoryEntry::promoted).orElse(false)
        || operations.promotedEpoch().filter(state().epoch()::equals).isPresent());
    transition(RoleTransitions.roleFor(closed, booted(), config.kind(), demoting, isPrimary, promoted), reason);
  }

  private void transition(LocalRole to, String why) {
    roles.transition(to, why, leases.lease(), state().epoch());
  }

  private void publish() {
    snapshot = new LocalSnapshot(self, roles.role(), state(), appliedIndex(), leases.lease(), status.db(), fences.inProgress(), reason,
        leadership.leads(), leadership.leader(), leadership.term(), reports.reports(), cycles.lastNanos(), cycles.lastEndedAt(),
        applyTimes.predecessorSilence());
    silence.published(snapshot.servesWhileLeased(), snapshot.state().epoch(), ticker.nanoTime());
  }
}

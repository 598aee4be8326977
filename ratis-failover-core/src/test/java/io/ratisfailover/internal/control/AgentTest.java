package io.ratisfailover.internal.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.Epoch;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.control.Agent.Action;
import io.ratisfailover.internal.control.Agent.FenceReason;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Story;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.FenceMode;
import io.ratisfailover.spi.PrimaryTopology;
import io.ratisfailover.spi.ReplicaInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AgentTest {
  static final long SEC = 1_000_000_000L;
  static final long NOW = 100 * SEC;
  static final Timing TIMING = Timing.defaults();

  /** The input of member {@code self} at tick NOW, with a lease until {@code leaseUntil} (0: none) and the given database. */
  static Agent.Input input(ClusterState s, String self, long leaseUntil, DatabaseStatus db) {
    Lease lease = leaseUntil == 0 ? Lease.NONE : Lease.until(s.epoch(), leaseUntil);
    return new Agent.Input(MemberId.of(self), MemberKind.DATA, "orders", s, true, TIMING, NOW, Instant.EPOCH, lease,
        NOW + SEC, Optional.of(db), Optional.empty(), OptionalLong.empty(), OptionalLong.empty(), Map.of(), Optional.empty(),
        Optional.empty(), false, Set.of());
  }

  static Agent.Input with(Agent.Input in, Optional<FenceReason> fenced) {
    return new Agent.Input(in.self(), in.kind(), in.clusterName(), in.state(), in.booted(), in.timing(), in.now(),
        in.wallNow(), in.lease(), in.nextRenewAt(), in.db(), fenced, in.primaryDownSince(), in.candidateSince(),
        in.syncBarriers(), in.configured(), in.promotedEpoch(), in.writableOperationInFlight(), in.unconfirmedSync());
  }

  static DatabaseStatus primary(long lsn, List<ReplicaInfo> replicas, Set<MemberId> sync) {
    return DatabaseStatus.primary(1, Lsn.of(lsn), replicas, sync);
  }

  static final DatabaseStatus PRIMARY = primary(5000, List.of(), Set.of());
  static final DatabaseStatus STANDBY = DatabaseStatus.replica(1, Lsn.of(4000), Lsn.of(4000), Optional.of(MemberId.of("pg1")));
  static final DatabaseStatus STOPPED = DatabaseStatus.of(DatabaseState.STOPPED, "postmaster not running");

  static <T extends Action> List<T> actions(Agent.Decision d, Class<T> type) {
    return d.actions().stream().filter(type::isInstance).map(type::cast).toList();
  }

  static List<Command> commands(Agent.Decision d) {
    return actions(d, Action.Submit.class).stream().map(Action.Submit::command).toList();
  }

  @Test
  void aDataMemberThatHasReadTheStateProposesTheBootstrapAndAWitnessNever() {
    DatabaseStatus absent = DatabaseStatus.of(DatabaseState.ABSENT, "");
    Agent.Decision data = Agent.decide(input(ClusterState.EMPTY, "pg1", 0, absent));
    assertThat(actions(data, Action.ProposeBootstrap.class)).hasSize(1);

    Agent.Input witness = input(ClusterState.EMPTY, "w1", 0, absent);
    witness = new Agent.Input(witness.self(), MemberKind.WITNESS, "orders", ClusterState.EMPTY, true, TIMING, NOW,
        Instant.EPOCH, Lease.NONE, NOW, Optional.empty(), Optional.empty(), OptionalLong.empty(), OptionalLong.empty(),
        Map.of(), Optional.empty(), Optional.empty(), false, Set.of());
    assertThat(Agent.decide(witness).actions()).isEmpty();

    Agent.Input notBooted = with(input(ClusterState.EMPTY, "pg1", 0, absent), false, Optional.empty(), false);
    assertThat(actions(Agent.decide(notBooted), Action.ProposeBootstrap.class)).isEmpty();
  }

  @Test
  void aHealthyPrimaryRenewsWhenDueAndRecordsItsPromotionOnce() {
    ClusterState s = Story.of().bootstrap().elect("pg1").state();
    Agent.Input in = input(s, "pg1", NOW + 2 * SEC, PRIMARY);
    in = new Agent.Input(in.self(), in.kind(), in.clusterName(), s, true, TIMING, NOW, Instant.EPOCH, in.lease(), NOW,
        in.db(), Optional.empty(), OptionalLong.empty(), OptionalLong.empty(), Map.of(), Optional.empty(), Optional.empty(), false, Set.of());
    Agent.Decision d = Agent.decide(in);
    assertThat(commands(d)).hasAtLeastOneElementOfType(Command.Renew.class).hasAtLeastOneElementOfType(Command.RecordPromotion.class);
    assertThat(d.reason()).isEqualTo("primary for epoch 1");

    ClusterState recorded = Story.of().bootstrap().elect("pg1").promoted("pg1", 1).state();
    assertThat(commands(Agent.decide(input(recorded, "pg1", NOW + 2 * SEC, PRIMARY)))).isEmpty();
  }

  @Test
  void anElectedStandbyPromotesWithAFreshLeaseAndReplaysToTheReleasedPosition() {
    ClusterState s = Story.of().bootstrap().elect("pg1").renew("pg1").release("pg1", Optional.of(Lsn.of(4321))).elect("pg2")
        .state();
    Agent.Decision d = Agent.decide(input(s, "pg2", NOW + 2 * SEC, STANDBY));
    Agent.Operation.Promote promote = (Agent.Operation.Promote) actions(d, Action.Operate.class).get(0).operation();
    assertThat(promote.promotion().replayAtLeast()).contains(Lsn.of(4321));
    assertThat(promote.promotion().topology().epoch()).isEqualTo(Epoch.of(2));
    assertThat(promote.promotion().topology().synchronousStandbys()).isEmpty();
    assertThat(promote.promotion().topology().standbys()).containsExactly(MemberId.of("pg1"));
  }

  @Test
  void anElectedStandbyWaitsForItsLeaseAndForEnoughOfIt() {
    ClusterState s = Story.of().bootstrap().elect("pg1").elect("pg2").state();
    assertThat(Agent.decide(input(s, "pg2", 0, STANDBY)).reason()).contains("waiting for the lease");
    Agent.Decision almostOver = Agent.decide(input(s, "pg2", NOW + SEC / 2, STANDBY));
    assertThat(actions(almostOver, Action.Operate.class)).isEmpty();
    assertThat(almostOver.reason()).contains("fresher lease");
  }

  @Test
  void aPrimaryWhoseLeaseLapsedFencesAtOnceEvenIfItsDatabaseDoesNotAnswer() {
    ClusterState s = Story.of().bootstrap().elect("pg1").promoted("pg1", 1).state();
    Agent.Decision writable = Agent.decide(input(s, "pg1", NOW - 1, PRIMARY));
    Action.Fence fence = actions(writable, Action.Fence.class).get(0);
    assertThat(fence.mode()).isEqualTo(FenceMode.IMMEDIATE);
    assertThat(fence.reason()).isEqualTo(FenceReason.LEASE_LOST);
    Agent.Decision hung = Agent.decide(input(s, "pg1", NOW - 1, DatabaseStatus.of(DatabaseState.UNKNOWN, "timed out")));
    assertThat(actions(hung, Action.Fence.class)).hasSize(1);
  }

  @Test
  void aFencedPrimaryRestartsInPlaceWhenItsLeaseComesBack() {
    ClusterState s = Story.of().bootstrap().elect("pg1").promoted("pg1", 1).state();
    Agent.Decision waiting = Agent.decide(with(input(s, "pg1", 0, STOPPED), Optional.of(FenceReason.LEASE_LOST)));
    assertThat(waiting.reason()).contains("waiting for a fresh lease to come back");
    // A server started on the last moments of a lease would be stopped by the watchdog as it runs out.
    Agent.Decision almostOver = Agent.decide(with(input(s, "pg1", NOW + SEC / 2, STOPPED), Optional.of(FenceReason.LEASE_LOST)));
    assertThat(actions(almostOver, Action.Operate.class)).isEmpty();
    Agent.Decision back = Agent.decide(with(input(s, "pg1", NOW + 2 * SEC, STOPPED), Optional.of(FenceReason.LEASE_LOST)));
    assertThat(actions(back, Action.Operate.class).get(0).operation()).isInstanceOf(Agent.Operation.StartPrimary.class);
  }

  @Test
  void aPrimaryWhoseDatabaseCrashedFencesThenReleasesAtOnceByDefault() {
    ClusterState s = Story.of().bootstrap().elect("pg1").promoted("pg1", 1).state();
    Agent.Decision crashed = Agent.decide(input(s, "pg1", NOW + 2 * SEC, STOPPED));
    assertThat(actions(crashed, Action.Fence.class).get(0).reason()).isEqualTo(FenceReason.DATABASE_FAILED);
    Agent.Decision fenced = Agent.decide(with(input(s, "pg1", NOW + 2 * SEC, STOPPED), Optional.of(FenceReason.DATABASE_FAILED)));
    Command.Release release = (Command.Release) commands(fenced).stream().filter(Command.Release.class::isInstance).findFirst().orElseThrow();
    assertThat(release.lsn()).isEmpty();
    assertThat(release.reason()).contains("database failed");
  }

  @Test
  void anElectedMemberWhoseDatabaseStoppedStartsItToPromoteInsteadOfGivingUp() {
    ClusterState s = Story.of().bootstrap().elect("pg1").promoted("pg1", 1).elect("pg2").state();
    Agent.Decision waiting = Agent.decide(with(input(s, "pg2", 0, STOPPED), Optional.of(FenceReason.DATABASE_FAILED)));
    assertThat(waiting.actions()).isEmpty();
    assertThat(waiting.reason()).contains("waiting for the lease before starting the database");
    Agent.Decision start = Agent.decide(with(input(s, "pg2", NOW + 2 * SEC, STOPPED), Optional.of(FenceReason.DATABASE_FAILED)));
    assertThat(((Agent.Operation.StartReplica) actions(start, Action.Operate.class).get(0).operation()).upstream()).isEmpty();
    assertThat(commands(start)).noneMatch(Command.Release.class::isInstance);
  }

  @Test
  void anElectedMemberWithoutDataGivesTheEpochUp() {
    ClusterState s = Story.of().bootstrap().elect("pg1").promoted("pg1", 1).elect("pg2").state();
    Agent.Decision d = Agent.decide(input(s, "pg2", NOW + 2 * SEC, DatabaseStatus.of(DatabaseState.ABSENT, "")));
    assertThat(commands(d)).anyMatch(c -> c instanceof Command.Release r && r.reason().contains("no data directory"));
  }

  @Test
  void withAPrimaryStartTimeoutACrashedPrimaryRestartsInPlace() {
    ClusterState s = Story.of().bootstrap(ClusterSettings.DEFAULT.withPrimaryStartTimeout(Duration.ofSeconds(30)))
        .elect("pg1").promoted("pg1", 1).state();
    Agent.Decision d = Agent.decide(input(s, "pg1", NOW + 2 * SEC, STOPPED));
    assertThat(actions(d, Action.Operate.class).get(0).operation()).isInstanceOf(Agent.Operation.StartPrimary.class);
    Agent.Decision almostOver = Agent.decide(input(s, "pg1", NOW + SEC / 2, STOPPED));
    assertThat(actions(almostOver, Action.Operate.class)).isEmpty();
    assertThat(almostOver.reason()).contains("fresher lease");
  }

  @Test
  void aSwitchoverStopsThePrimaryCleanlyThenReleasesWithItsFinalPosition() {
    Story story = Story.of().bootstrap().elect("pg1").promoted("pg1", 1)
        .apply("w1", new Command.RequestSwitchover(Optional.empty(), Optional.empty(), Epoch.of(1), Optional.empty()));
    Agent.Decision stop = Agent.decide(input(story.state(), "pg1", NOW + 2 * SEC, PRIMARY));
    assertThat(actions(stop, Action.Fence.class).get(0)).isEqualTo(new Action.Fence(FenceMode.FAST, FenceReason.SWITCHOVER,
        "switchover: stopping cleanly so that the standbys receive all WAL"));
    DatabaseStatus stopped = new DatabaseStatus(DatabaseState.STOPPED, 1, Lsn.of(9000), Lsn.ZERO, Lsn.ZERO, Optional.empty(),
        Optional.empty(), List.of(), Set.of(), "");
    Agent.Decision release = Agent.decide(with(input(story.state(), "pg1", NOW + 2 * SEC, stopped), Optional.of(FenceReason.SWITCHOVER)));
    assertThat(commands(release)).contains(new Command.Release(Epoch.of(1), Optional.of(Lsn.of(9000)), "switchover"));
  }

  static Agent.Input draining(Agent.Input in, Duration drain, OptionalLong since) {
    return new Agent.Input(in.self(), in.kind(), in.clusterName(), in.state(), in.booted(), in.timing(), in.now(),
        in.wallNow(), in.lease(), in.nextRenewAt(), in.db(), in.fencedFor(), in.primaryDownSince(), in.candidateSince(),
        in.syncBarriers(), in.configured(), in.promotedEpoch(), in.writableOperationInFlight(), in.unconfirmedSync(),
        in.ca(), in.sampledAfter(), drain, since);
  }

  @Test
  void aSwitchoverDrainsRoutersWhileTheDatabaseStillTakesWritesThenStopsIt() {
    Story story = Story.of().bootstrap().elect("pg1").promoted("pg1", 1)
        .apply("w1", new Command.RequestSwitchover(Optional.empty(), Optional.empty(), Epoch.of(1), Optional.empty()));
    Agent.Input in = input(story.state(), "pg1", NOW + 2 * SEC, PRIMARY);
    Duration drain = Duration.ofMillis(250);

    Agent.Decision first = Agent.decide(draining(in, drain, OptionalLong.empty()));
    assertThat(first.actions()).containsExactly(new Action.Drain());
    assertThat(first.nextCheckAt()).isEqualTo(NOW + drain.toNanos());
    assertThat(first.reason()).contains("answering 503 on /primary for another 250 ms");
    // Still draining 100 ms in: the lease is renewed as usual, nothing is stopped yet.
    Agent.Input later = draining(in, drain, OptionalLong.of(NOW - 100_000_000L));
    Agent.Decision midway = Agent.decide(new Agent.Input(later.self(), later.kind(), later.clusterName(), later.state(),
        true, TIMING, NOW, Instant.EPOCH, later.lease(), NOW, later.db(), Optional.empty(), OptionalLong.empty(),
        OptionalLong.empty(), Map.of(), Optional.empty(), Optional.empty(), false, Set.of(), Optional.empty(), Map.of(),
        drain, later.drainingSince()));
    assertThat(midway.actions()).contains(new Action.Drain()).hasAtLeastOneElementOfType(Action.Submit.class);
    assertThat(actions(midway, Action.Fence.class)).isEmpty();

    Agent.Decision over = Agent.decide(draining(in, drain, OptionalLong.of(NOW - drain.toNanos())));
    assertThat(actions(over, Action.Drain.class)).isEmpty();
    assertThat(actions(over, Action.Fence.class)).containsExactly(new Action.Fence(FenceMode.FAST, FenceReason.SWITCHOVER,
        "switchover: stopping cleanly so that the standbys receive all WAL"));
  }

  @Test
  void aDatabaseThatDoesNotAnswerAsPrimaryIsStoppedWithoutADrain() {
    Story story = Story.of().bootstrap().elect("pg1").promoted("pg1", 1)
        .apply("w1", new Command.RequestSwitchover(Optional.empty(), Optional.empty(), Epoch.of(1), Optional.empty()));
    DatabaseStatus unknown = DatabaseStatus.of(DatabaseState.UNKNOWN, "connection refused");
    Agent.Decision d = Agent.decide(draining(input(story.state(), "pg1", NOW + 2 * SEC, unknown), Duration.ofSeconds(1),
        OptionalLong.empty()));
    assertThat(actions(d, Action.Drain.class)).isEmpty();
    assertThat(actions(d, Action.Fence.class)).hasSize(1);
  }

  @Test
  void aScheduledSwitchoverWaitsForItsTime() {
    Story story = Story.of().bootstrap().elect("pg1").promoted("pg1", 1)
        .apply("w1", new Command.RequestSwitchover(Optional.empty(), Optional.empty(), Epoch.of(1),
            Optional.of(Instant.parse("2030-01-01T00:00:00Z"))));
    assertThat(actions(Agent.decide(input(story.state(), "pg1", NOW + 2 * SEC, PRIMARY)), Action.Fence.class)).isEmpty();
  }

  @Test
  void aWritableDatabaseOfAMemberThatIsNotPrimaryIsFencedEvenWhilePaused() {
    ClusterState s = Story.of().bootstrap().elect("pg1").elect("pg2").apply("w1", new Command.SetPause(true)).state();
    Agent.Decision d = Agent.decide(input(s, "pg1", 0, PRIMARY));
    Action.Fence fence = actions(d, Action.Fence.class).get(0);
    assertThat(fence.reason()).isEqualTo(FenceReason.NOT_PRIMARY);
    assertThat(fence.why()).contains("pg2 is primary of epoch 2");
  }

  @Test
  void aStandbyFollowsTheNewPrimaryOnceItHasPromoted() {
    Story story = Story.of().bootstrap().elect("pg1").promoted("pg1", 1).report("pg2", STANDBY).elect("pg2");
    assertThat(Agent.decide(input(story.state(), "pg1", 0, STOPPED)).reason()).contains("waiting for pg2 to promote");
    story.promoted("pg2", 2);
    Agent.Decision d = Agent.decide(input(story.state(), "pg1", 0, STOPPED));
    Agent.Operation.StartReplica follow = (Agent.Operation.StartReplica) actions(d, Action.Operate.class).get(0).operation();
    assertThat(follow.upstream().orElseThrow().member()).isEqualTo(MemberId.of("pg2"));
    assertThat(follow.upstream().orElseThrow().attributes()).containsEntry("host", "pg2");
  }

  /** A standby that waits for WAL it cannot get (from nobody, or a dead rewind source) is pointed at the primary. */
  @Test
  void aStandbyStillRecoveringFromElsewhereIsPointedAtTheNewPrimary() {
    Story story = Story.of().bootstrap().elect("pg1").promoted("pg1", 1).report("pg2", STANDBY).elect("pg2").promoted("pg2", 2);
    DatabaseStatus fromNobody = new DatabaseStatus(DatabaseState.RECOVERING, 1, Lsn.ZERO, Lsn.of(10), Lsn.of(10),
        Optional.empty(), Optional.empty(), List.of(), Set.of(), "not consistent yet");
    Agent.Decision d = Agent.decide(input(story.state(), "pg1", 0, fromNobody));
    Agent.Operation.StartReplica follow = (Agent.Operation.StartReplica) actions(d, Action.Operate.class).get(0).operation();
    assertThat(follow.upstream().orElseThrow().member()).isEqualTo(MemberId.of("pg2"));

    DatabaseStatus fromPrimary = new DatabaseStatus(DatabaseState.RECOVERING, 2, Lsn.ZERO, Lsn.of(10), Lsn.of(10),
        Optional.of(MemberId.of("pg2")), Optional.empty(), List.of(), Set.of(), "not consistent yet");
    Agent.Decision waiting = Agent.decide(input(story.state(), "pg1", 0, fromPrimary));
    assertThat(waiting.actions()).isEmpty();
    assertThat(waiting.reason()).contains("recovering from pg2");
  }

  @Test
  void withoutAPrimaryAStoppedDatabaseStartsAsAStandbySoItCanBeElected() {
    ClusterState s = Story.of().bootstrap().elect("pg1").release("pg1", Optional.empty()).state();
    Agent.Decision d = Agent.decide(input(s, "pg2", 0, STOPPED));
    assertThat(((Agent.Operation.StartReplica) actions(d, Action.Operate.class).get(0).operation()).upstream()).isEmpty();
  }

  @Test
  void synchronousStandbysAreRecordedOnlyAfterTheDatabaseConfirmsThemPastTheBarrier() {
    Story story = Story.of().bootstrap(ClusterSettings.DEFAULT.withSynchronousMode(SynchronousMode.ON)).elect("pg1").promoted("pg1", 1);
    ClusterState s = story.state();
    ReplicaInfo pg2Async = new ReplicaInfo(MemberId.of("pg2"), true, ReplicaInfo.SyncState.ASYNC, Lsn.of(100), Lsn.of(100));
    // 1. a streaming standby appears: the database is configured first
    Agent.Decision configure = Agent.decide(input(s, "pg1", NOW + 2 * SEC, primary(500, List.of(pg2Async), Set.of())));
    PrimaryTopology topology = ((Agent.Operation.ConfigurePrimary) actions(configure, Action.Operate.class).get(0).operation()).topology();
    assertThat(topology.synchronousStandbys()).containsExactly(MemberId.of("pg2"));
    assertThat(commands(configure)).noneMatch(Command.SetSynchronous.class::isInstance);

    // 2. configured and 'sync', but not yet flushed past the barrier: not recorded
    ReplicaInfo pg2Sync = new ReplicaInfo(MemberId.of("pg2"), true, ReplicaInfo.SyncState.SYNC, Lsn.of(400), Lsn.of(400));
    Agent.Input configured = new Agent.Input(MemberId.of("pg1"), MemberKind.DATA, "orders", s, true, TIMING, NOW, Instant.EPOCH,
        Lease.until(s.epoch(), NOW + 2 * SEC), NOW + SEC, Optional.of(primary(500, List.of(pg2Sync), Set.of(MemberId.of("pg2")))),
        Optional.empty(), OptionalLong.empty(), OptionalLong.empty(), Map.of(MemberId.of("pg2"), Lsn.of(450)),
        Optional.of(topology), Optional.empty(), false, Set.of());
    assertThat(commands(Agent.decide(configured))).noneMatch(Command.SetSynchronous.class::isInstance);

    // 3. flushed past the barrier: recorded
    ReplicaInfo caughtUp = new ReplicaInfo(MemberId.of("pg2"), true, ReplicaInfo.SyncState.SYNC, Lsn.of(450), Lsn.of(450));
    Agent.Input confirmed = new Agent.Input(configured.self(), configured.kind(), "orders", s, true, TIMING, NOW, Instant.EPOCH,
        configured.lease(), NOW + SEC, Optional.of(primary(500, List.of(caughtUp), Set.of(MemberId.of("pg2")))),
        Optional.empty(), OptionalLong.empty(), OptionalLong.empty(), configured.syncBarriers(), Optional.of(topology),
        Optional.empty(), false, Set.of());
    assertThat(commands(Agent.decide(confirmed))).contains(new Command.SetSynchronous(Epoch.of(1), Set.of(MemberId.of("pg2"))));
  }

  @Test
  void aStandbyThatStopsStreamingLeavesTheRecordBeforeTheConfiguration() {
    ClusterState s = Story.of().bootstrap(ClusterSettings.DEFAULT.withSynchronousMode(SynchronousMode.ON)).elect("pg1")
        .promoted("pg1", 1).synchronous("pg1", "pg2").state();
    Agent.Decision d = Agent.decide(input(s, "pg1", NOW + 2 * SEC, primary(500, List.of(), Set.of(MemberId.of("pg2")))));
    assertThat(commands(d)).contains(new Command.SetSynchronous(Epoch.of(1), Set.of()));
    assertThat(actions(d, Action.Operate.class)).isEmpty();
  }

  /** {@code in} with another boot state, fence reason and operation in flight. */
  static Agent.Input with(Agent.Input in, boolean booted, Optional<FenceReason> fenced, boolean writableOperationInFlight) {
    return new Agent.Input(in.self(), in.kind(), in.clusterName(), in.state(), booted, in.timing(), in.now(),
        in.wallNow(), in.lease(), NOW, in.db(), fenced, in.primaryDownSince(), in.candidateSince(),
        in.syncBarriers(), in.configured(), in.promotedEpoch(), writableOperationInFlight, in.unconfirmedSync());
  }

  @Test
  void aRecordThatMayStillApplyIsOvertakenBeforeTheSettingNarrows() {
    // Found by the simulation (S4): the record naming pg2 was sent, its answer lost; narrowing the
    // setting first would let it apply late and name a standby that no longer confirms commits.
    ClusterState s = Story.of().bootstrap(ClusterSettings.DEFAULT.withSynchronousMode(SynchronousMode.ON)).elect("pg1")
        .renew("pg1").promoted("pg1", 1).state();
    Agent.Input in = input(s, "pg1", NOW + 2 * SEC, primary(500, List.of(), Set.of(MemberId.of("pg2"))));
    Agent.Input unconfirmed = new Agent.Input(in.self(), in.kind(), in.clusterName(), s, true, TIMING, NOW, in.wallNow(),
        in.lease(), NOW + SEC, in.db(), Optional.empty(), OptionalLong.empty(), OptionalLong.empty(), Map.of(),
        Optional.empty(), Optional.empty(), false, Set.of(SyncRecord.all(Set.of(MemberId.of("pg2")))));
    Agent.Decision d = Agent.decide(unconfirmed);
    assertThat(commands(d)).contains(new Command.SetSynchronous(Epoch.of(1), Set.of()));
    assertThat(actions(d, Action.Operate.class)).isEmpty();
    // Once nothing unconfirmed is left, the setting follows.
    assertThat(actions(Agent.decide(in), Action.Operate.class)).hasSize(1);
  }

  @Test
  void aPausedPrimaryRenewsAndTakesNoOtherAction() {
    ClusterState s = Story.of().bootstrap().elect("pg1").renew("pg1").promoted("pg1", 1)
        .apply("w1", new Command.SetPause(true)).state();
    Agent.Decision d = Agent.decide(with(input(s, "pg1", NOW + 2 * SEC, PRIMARY), true, Optional.empty(), false));
    assertThat(d.actions()).containsExactly(new Action.Submit(new Command.Renew(Epoch.of(1), 2500)));
    assertThat(d.reason()).contains("paused");
  }

  @Test
  void aPausedPrimaryWhoseLeaseLapsedStillFences() {
    // Review B8: pause stops automatic failover, not fencing: an operator's failover may still elect another member.
    ClusterState s = Story.of().bootstrap().elect("pg1").renew("pg1").promoted("pg1", 1)
        .apply("w1", new Command.SetPause(true)).state();
    Agent.Decision d = Agent.decide(with(input(s, "pg1", NOW - 1, PRIMARY), true, Optional.empty(), false));
    assertThat(commands(d)).containsExactly(new Command.Renew(Epoch.of(1), 2500));
    assertThat(actions(d, Action.Fence.class)).singleElement()
        .satisfies(f -> assertThat(f.reason()).isEqualTo(FenceReason.LEASE_LOST));
  }

  @Test
  void nothingHappensToAStandbyBeforeTheCommittedStateWasRead() {
    ClusterState s = Story.of().bootstrap().elect("pg1").elect("pg2").state();
    Agent.Decision d = Agent.decide(with(input(s, "pg1", 0, STANDBY), false, Optional.empty(), false));
    assertThat(d.actions()).isEmpty();
    assertThat(d.reason()).contains("reading the committed cluster state");
  }

  @Test
  void aWritableDatabaseIsFencedOnBootBeforeTheCommittedStateWasRead() {
    // Review B4: the sidecar was killed and restarted (perhaps cut off from the majority) while its
    // PostgreSQL kept running as primary; it holds no lease, so its database must stop taking writes now.
    ClusterState s = Story.of().bootstrap().elect("pg1").renew("pg1").promoted("pg1", 1).state();
    Agent.Decision d = Agent.decide(with(input(s, "pg1", 0, PRIMARY), false, Optional.empty(), false));
    Action.Fence fence = actions(d, Action.Fence.class).get(0);
    assertThat(fence.mode()).isEqualTo(FenceMode.IMMEDIATE);
    assertThat(fence.reason()).isEqualTo(FenceReason.LEASE_LOST);
    assertThat(commands(d)).isEmpty();
    assertThat(d.reason()).contains("no lease for epoch 1 is held (just started)");
    // Booted, the primary of the epoch without a lease (never renewed since the restart) fences too.
    assertThat(actions(Agent.decide(with(input(s, "pg1", 0, PRIMARY), true, Optional.empty(), false)), Action.Fence.class))
        .hasSize(1);
  }

  @Test
  void aSwitchoverOnADatabaseWhoseStatusIsUnknownStopsItBeforeReleasing() {
    // Review B1: UNKNOWN (a status call timed out) is not "stopped": the server may still take writes.
    ClusterState s = Story.of().bootstrap().elect("pg1").renew("pg1").promoted("pg1", 1)
        .apply("w1", new Command.RequestSwitchover(Optional.of(MemberId.of("pg1")), Optional.empty(), Epoch.of(1),
            Optional.empty())).state();
    DatabaseStatus unknown = DatabaseStatus.of(DatabaseState.UNKNOWN, "status call timed out");
    Agent.Decision d = Agent.decide(input(s, "pg1", NOW + 2 * SEC, unknown));
    assertThat(actions(d, Action.Fence.class)).singleElement()
        .satisfies(f -> assertThat(f.reason()).isEqualTo(FenceReason.SWITCHOVER));
    assertThat(commands(d)).noneMatch(Command.Release.class::isInstance);
    // A clean stop that did not work is followed by an immediate one.
    Agent.Decision again = Agent.decide(with(input(s, "pg1", NOW + 2 * SEC, unknown), true,
        Optional.of(FenceReason.SWITCHOVER), false));
    assertThat(actions(again, Action.Fence.class).get(0).mode()).isEqualTo(FenceMode.IMMEDIATE);
    assertThat(commands(Agent.decide(input(s, "pg1", NOW + 2 * SEC, STOPPED)))).anyMatch(Command.Release.class::isInstance);
  }

  @Test
  void aCandidateGivingUpWhileItsPromotionStillRunsFencesBeforeReleasing() {
    // Review B2: the others elect at once on a release, while pg_promote could still run here.
    ClusterState s = Story.of().bootstrap().elect("pg1").renew("pg1").promoted("pg1", 1).elect("pg2").renew("pg2").state();
    Agent.Input late = input(s, "pg2", NOW + 2 * SEC, STANDBY);
    late = new Agent.Input(late.self(), late.kind(), late.clusterName(), s, true, TIMING, NOW, Instant.EPOCH, late.lease(),
        NOW + SEC, late.db(), Optional.empty(), OptionalLong.empty(), OptionalLong.of(NOW - 60 * SEC), Map.of(),
        Optional.empty(), Optional.empty(), true, Set.of());
    Agent.Decision d = Agent.decide(late);
    assertThat(actions(d, Action.Fence.class)).singleElement()
        .satisfies(f -> assertThat(f.reason()).isEqualTo(FenceReason.GIVE_UP));
    assertThat(commands(d)).noneMatch(Command.Release.class::isInstance);

    Agent.Input fencedAndIdle = with(late, true, Optional.of(FenceReason.GIVE_UP), false);
    fencedAndIdle = new Agent.Input(fencedAndIdle.self(), fencedAndIdle.kind(), fencedAndIdle.clusterName(), s, true,
        TIMING, NOW, Instant.EPOCH, fencedAndIdle.lease(), NOW + SEC, Optional.of(STOPPED), fencedAndIdle.fencedFor(),
        OptionalLong.empty(), OptionalLong.of(NOW - 60 * SEC), Map.of(), Optional.empty(), Optional.empty(), false, Set.of());
    assertThat(commands(Agent.decide(fencedAndIdle))).anyMatch(Command.Release.class::isInstance);
  }

  @Test
  void aLeaseThatLapsesDuringAPromotionFencesAtOnce() {
    // Review B3: while pg_promote runs, the last status still says standby.
    ClusterState s = Story.of().bootstrap().elect("pg1").renew("pg1").promoted("pg1", 1).elect("pg2").renew("pg2").state();
    Agent.Decision d = Agent.decide(with(input(s, "pg2", NOW - 1, STANDBY), true, Optional.empty(), true));
    assertThat(actions(d, Action.Fence.class)).singleElement()
        .satisfies(f -> assertThat(f.reason()).isEqualTo(FenceReason.LEASE_LOST));
    assertThat(actions(Agent.decide(with(input(s, "pg2", NOW - 1, STANDBY), true, Optional.empty(), false)),
        Action.Fence.class)).isEmpty();
  }
}

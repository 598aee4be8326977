package io.ratisfailover.internal.control;

import static io.ratisfailover.internal.control.AgentTest.NOW;
import static io.ratisfailover.internal.control.AgentTest.SEC;
import static io.ratisfailover.internal.control.AgentTest.TIMING;
import static io.ratisfailover.internal.control.AgentTest.actions;
import static io.ratisfailover.internal.control.AgentTest.commands;
import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.Epoch;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.internal.control.Agent.Action;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Story;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.PrimaryTopology;
import io.ratisfailover.spi.ReplicaInfo;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Quorum commit (docs/design.md §4.7): four data members, the primary pg1 waits for any two of
 * pg2, pg3 and pg4; the record and PostgreSQL's setting change in the order that keeps the record
 * true, and a candidate compares positions with two of the three before it takes the lease.
 */
class QuorumCommitTest {
  static final MemberId PG2 = MemberId.of("pg2");
  static final MemberId PG3 = MemberId.of("pg3");
  static final MemberId PG4 = MemberId.of("pg4");
  static final Set<MemberId> THREE = Set.of(PG2, PG3, PG4);

  static Story cluster() {
    List<Peer> peers = List.of(Peer.data("pg1", "h:1"), Peer.data("pg2", "h:2"), Peer.data("pg3", "h:3"),
        Peer.data("pg4", "h:4"), Peer.witness("w1", "h:5"));
    ClusterSettings quorum = ClusterSettings.DEFAULT.withSynchronousMode(SynchronousMode.QUORUM).withSynchronousNodeCount(2);
    return Story.of().apply("w1", new Command.Bootstrap("orders", peers, quorum)).elect("pg1").renew("pg1").promoted("pg1", 1);
  }

  static Agent.Input input(ClusterState s, String self, Lease lease, DatabaseStatus db, Map<MemberId, Lsn> barriers,
      Optional<PrimaryTopology> configured, Map<MemberId, Long> sampledAfter) {
    return new Agent.Input(MemberId.of(self), MemberKind.DATA, "orders", s, true, TIMING, NOW, Instant.EPOCH, lease, NOW,
        Optional.of(db), Optional.empty(), OptionalLong.empty(), OptionalLong.of(NOW), barriers, configured, Optional.empty(),
        false, Set.of(), Optional.empty(), sampledAfter);
  }

  static ReplicaInfo replica(MemberId m, ReplicaInfo.SyncState state, long flushed) {
    return new ReplicaInfo(m, true, state, Lsn.of(flushed), Lsn.of(flushed));
  }

  static DatabaseStatus standby(long lsn, Optional<MemberId> upstream) {
    return DatabaseStatus.replica(1, Lsn.of(lsn), Lsn.of(lsn), upstream);
  }

  @Test
  void aRecordSaysOnlyWhatItsPlacementGuarantees() {
    SyncRecord anyTwoOfThree = new SyncRecord(THREE, 2);
    assertThat(anyTwoOfThree.mustHear()).isEqualTo(2);
    assertThat(SyncRecord.all(Set.of(PG2, PG3)).implies(new SyncRecord(Set.of(PG2, PG3), 1))).isTrue();
    assertThat(anyTwoOfThree.implies(new SyncRecord(Set.of(PG2, PG3), 2))).isFalse();
    assertThat(anyTwoOfThree.implies(new SyncRecord(Set.of(PG2, PG3), 1))).isTrue();
    // A member joins: record the wider set first, it says no more than the narrower one did.
    assertThat(SyncRecord.strongestImpliedByBoth(new SyncRecord(Set.of(PG2, PG3), 2), anyTwoOfThree)).isEqualTo(anyTwoOfThree);
    // A member leaves, the quorum stays: commits on two of the two that stay are on two of the three.
    assertThat(new SyncRecord(Set.of(PG2, PG3), 2).implies(anyTwoOfThree)).isTrue();
    // Two leave: a commit acknowledged before may be on the two that left only.
    assertThat(SyncRecord.strongestImpliedByBoth(anyTwoOfThree, new SyncRecord(Set.of(PG2), 1)))
        .isEqualTo(new SyncRecord(THREE, 1));
    // Past commits on pg4, new ones on two of pg2, pg3: each is on one of the three at least.
    assertThat(SyncRecord.strongestImpliedByBoth(SyncRecord.all(Set.of(PG4)), new SyncRecord(Set.of(PG2, PG3), 2)))
        .isEqualTo(new SyncRecord(THREE, 1));
    // No standby left: new commits are on none, so nothing can be said.
    assertThat(SyncRecord.strongestImpliedByBoth(anyTwoOfThree, SyncRecord.NONE)).isEqualTo(SyncRecord.NONE);
  }

  @Test
  void thePrimaryConfiguresAnyTwoOfItsStandbysAndRecordsThemOnceTwoFlushedPastTheBarrier() {
    ClusterState s = cluster().state();
    Lease lease = Lease.until(s.epoch(), NOW + 2 * SEC);
    List<ReplicaInfo> async = List.of(replica(PG2, ReplicaInfo.SyncState.ASYNC, 100), replica(PG3, ReplicaInfo.SyncState.ASYNC, 100),
        replica(PG4, ReplicaInfo.SyncState.ASYNC, 100));
    Agent.Decision configure = Agent.decide(input(s, "pg1", lease, DatabaseStatus.primary(1, Lsn.of(500), async, Set.of()),
        Map.of(), Optional.empty(), Map.of()));
    PrimaryTopology topology = ((Agent.Operation.ConfigurePrimary) actions(configure, Action.Operate.class).get(0).operation()).topology();
    assertThat(topology.synchronousStandbys()).isEqualTo(THREE);
    assertThat(topology.quorum()).isEqualTo(2);
    assertThat(commands(configure)).noneMatch(Command.SetSynchronous.class::isInstance);

    Map<MemberId, Lsn> barriers = Map.of(PG2, Lsn.of(450), PG3, Lsn.of(450), PG4, Lsn.of(450));
    List<ReplicaInfo> oneFlushed = List.of(replica(PG2, ReplicaInfo.SyncState.QUORUM, 450),
        replica(PG3, ReplicaInfo.SyncState.QUORUM, 400), replica(PG4, ReplicaInfo.SyncState.QUORUM, 300));
    Agent.Decision early = Agent.decide(input(s, "pg1", lease, DatabaseStatus.primary(1, Lsn.of(500), oneFlushed, THREE),
        barriers, Optional.of(topology), Map.of()));
    assertThat(commands(early)).noneMatch(Command.SetSynchronous.class::isInstance);

    List<ReplicaInfo> twoFlushed = List.of(replica(PG2, ReplicaInfo.SyncState.QUORUM, 450),
        replica(PG3, ReplicaInfo.SyncState.QUORUM, 460), replica(PG4, ReplicaInfo.SyncState.QUORUM, 300));
    Agent.Decision record = Agent.decide(input(s, "pg1", lease, DatabaseStatus.primary(1, Lsn.of(500), twoFlushed, THREE),
        barriers, Optional.of(topology), Map.of()));
    assertThat(commands(record)).contains(new Command.SetSynchronous(Epoch.of(1), THREE, 2));
  }

  @Test
  void standbysThatStopStreamingLeaveTheSettingFirstAndTheRecordWhenItWouldOtherwiseSayTooMuch() {
    ClusterState s = cluster().apply("pg1", new Command.SetSynchronous(Epoch.of(1), THREE, 2)).state();
    Lease lease = Lease.until(s.epoch(), NOW + 2 * SEC);
    // pg4 leaves: ANY 2 of pg2, pg3 keeps "any two of the three" true, so the setting goes first.
    List<ReplicaInfo> twoLeft = List.of(replica(PG2, ReplicaInfo.SyncState.QUORUM, 500), replica(PG3, ReplicaInfo.SyncState.QUORUM, 500));
    Agent.Decision narrow = Agent.decide(input(s, "pg1", lease, DatabaseStatus.primary(1, Lsn.of(500), twoLeft, THREE),
        Map.of(), Optional.empty(), Map.of()));
    assertThat(commands(narrow)).noneMatch(Command.SetSynchronous.class::isInstance);
    PrimaryTopology topology = ((Agent.Operation.ConfigurePrimary) actions(narrow, Action.Operate.class).get(0).operation()).topology();
    assertThat(topology.synchronousStandbys()).containsExactlyInAnyOrder(PG2, PG3);
    assertThat(topology.quorum()).isEqualTo(2);

    // pg3 and pg4 leave: ANY 1 of pg2 would make the record false; it first says "any one of the three".
    List<ReplicaInfo> oneLeft = List.of(replica(PG2, ReplicaInfo.SyncState.QUORUM, 500));
    Agent.Decision weaken = Agent.decide(input(s, "pg1", lease, DatabaseStatus.primary(1, Lsn.of(500), oneLeft, THREE),
        Map.of(), Optional.empty(), Map.of()));
    assertThat(commands(weaken)).contains(new Command.SetSynchronous(Epoch.of(1), THREE, 1));
    assertThat(actions(weaken, Action.Operate.class)).isEmpty();
  }

  @Test
  void aCandidateTakesTheLeaseOnlyAfterComparingWithEnoughOfTheQuorumAndStepsAsideForOneAhead() {
    Story story = cluster().apply("pg1", new Command.SetSynchronous(Epoch.of(1), THREE, 2)).elect("pg2");
    long electedAt = story.state().lastRenewalIndex();
    story.report("pg4", standby(900, Optional.of(MemberId.of("pg1"))));
    ClusterState heardNobody = story.state();
    // Its own position is final only once it no longer receives from the old primary either.
    Agent.Decision detach = Agent.decide(input(heardNobody, "pg2", Lease.NONE, standby(800, Optional.of(MemberId.of("pg1"))),
        Map.of(), Optional.empty(), Map.of()));
    assertThat(actions(detach, Action.Operate.class)).extracting(Action.Operate::operation)
        .containsExactly(new Agent.Operation.StartReplica(Optional.empty()));
    assertThat(commands(detach)).noneMatch(Command.Renew.class::isInstance);
    DatabaseStatus own = standby(800, Optional.empty());

    Agent.Decision waiting = Agent.decide(input(heardNobody, "pg2", Lease.NONE, own, Map.of(), Optional.empty(),
        Map.of(PG4, electedAt + 1)));
    assertThat(commands(waiting)).noneMatch(Command.Renew.class::isInstance);
    assertThat(waiting.reason()).contains("need 2");

    ClusterState heardPg3 = story.report("pg3", standby(700, Optional.empty())).state();
    Agent.Decision renew = Agent.decide(input(heardPg3, "pg2", Lease.NONE, own, Map.of(), Optional.empty(),
        Map.of(PG3, electedAt + 1, PG4, electedAt + 1)));
    assertThat(commands(renew)).anyMatch(Command.Renew.class::isInstance);

    // Observed before the election, pg3's position may not be final: not heard.
    Agent.Decision stale = Agent.decide(input(heardPg3, "pg2", Lease.NONE, own, Map.of(), Optional.empty(),
        Map.of(PG3, electedAt - 1)));
    assertThat(commands(stale)).noneMatch(Command.Renew.class::isInstance);

    ClusterState pg4Ahead = story.report("pg4", standby(900, Optional.empty())).state();
    Agent.Decision aside = Agent.decide(input(pg4Ahead, "pg2", Lease.NONE, own, Map.of(), Optional.empty(),
        Map.of(PG3, electedAt + 1, PG4, electedAt + 1)));
    assertThat(commands(aside)).anyMatch(Command.Release.class::isInstance).noneMatch(Command.Renew.class::isInstance);
  }

  @Test
  void aStandbyDetachesFromTheOldPrimaryWhileAQuorumCandidateCompares() {
    ClusterState s = cluster().apply("pg1", new Command.SetSynchronous(Epoch.of(1), THREE, 2)).elect("pg2").state();
    Agent.Decision d = Agent.decide(input(s, "pg3", Lease.NONE, standby(700, Optional.of(MemberId.of("pg1"))), Map.of(),
        Optional.empty(), Map.of()));
    assertThat(actions(d, Action.Operate.class)).extracting(Action.Operate::operation)
        .containsExactly(new Agent.Operation.StartReplica(Optional.empty()));
  }
}

package io.ratisfailover.internal.state;

import io.ratisfailover.SynchronousMode;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.Epoch;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.Peer;
import io.ratisfailover.Tags;
import io.ratisfailover.spi.DatabaseStatus;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ClusterStateMachineTest {
  private static final DatabaseStatus STANDBY = DatabaseStatus.replica(1, Lsn.of(0x3000000), Lsn.of(0x3000000), Optional.empty());

  @Test
  void theFirstBootstrapCreatesTheClusterAndLaterOnesChangeNothing() {
    Story story = Story.of().bootstrap();
    assertThat(story.last().applied()).isTrue();
    assertThat(story.state().clusterName()).isEqualTo("orders");
    assertThat(story.state().members()).containsOnlyKeys(MemberId.of("pg1"), MemberId.of("pg2"), MemberId.of("w1"));

    ClusterState before = story.state();
    story.apply("pg1", new Command.Bootstrap("orders", Story.PEERS, ClusterSettings.DEFAULT));
    assertThat(story.last().rejection()).contains(Rejection.ALREADY_INITIALIZED);
    story.apply("pg1", new Command.Bootstrap("billing", Story.PEERS, ClusterSettings.DEFAULT));
    assertThat(story.last().rejection()).contains(Rejection.CLUSTER_MISMATCH);
    assertThat(story.state().epoch()).isEqualTo(before.epoch());
  }

  @Test
  void aBootstrapMustNameItsSenderAndADataMember() {
    Story story = Story.of().apply("x9", new Command.Bootstrap("orders", Story.PEERS, ClusterSettings.DEFAULT));
    assertThat(story.last().rejection()).contains(Rejection.UNKNOWN_MEMBER);
    story = Story.of().apply("w1", new Command.Bootstrap("orders", List.of(Peer.witness("w1", "h:1")), ClusterSettings.DEFAULT));
    assertThat(story.last().rejection()).contains(Rejection.INVALID);
    assertThat(story.last().reason()).contains("data member");
  }

  @Test
  void commandsFromStrangersAreRefusedWithTheirName() {
    Story story = Story.of().bootstrap().apply("intruder", new Command.Renew(Epoch.ZERO, 1000));
    assertThat(story.last().rejection()).contains(Rejection.UNKNOWN_MEMBER);
    assertThat(story.last().reason()).contains("intruder");
  }

  @Test
  void aRequestDeliveredTwiceIsAppliedOnce() {
    ClusterStateMachine rules = new ClusterStateMachine();
    ClusterState s = Story.of().bootstrap().elect("pg1").state();
    Request renew = new Request(new Origin(MemberId.of("pg1"), 42, 5, 0), new Command.Renew(s.epoch(), 2500));
    Applied first = rules.apply(s, renew, 100);
    Applied again = rules.apply(first.state(), renew, 101);
    assertThat(first.result().applied()).isTrue();
    assertThat(again.result().rejection()).contains(Rejection.STALE_REQUEST);
    assertThat(again.state().lastRenewalIndex()).isEqualTo(100);
  }

  @Test
  void onlyThePrimaryOfTheCurrentEpochRenews() {
    Story story = Story.of().bootstrap().elect("pg1").renew("pg1");
    assertThat(story.last().applied()).isTrue();
    assertThat(story.state().lastRenewalIndex()).isEqualTo(story.index());

    story.renew("pg2");
    assertThat(story.last().rejection()).contains(Rejection.NOT_PRIMARY);
    story.elect("pg2").apply("pg1", new Command.Renew(Epoch.of(1), 2500));
    assertThat(story.last().rejection()).contains(Rejection.STALE_EPOCH);
    assertThat(story.last().reason()).contains("epoch 2");
  }

  @Test
  void anElectionFailsIfThePrimaryRenewedAfterTheArbiterLooked() {
    Story story = Story.of().bootstrap().elect("pg1").renew("pg1");
    long arbiterSaw = story.state().lastRenewalIndex();
    story.renew("pg1"); // the renewal races the arbiter's decision, and wins
    story.apply("w1", new Command.Elect(MemberId.of("pg2"), Epoch.of(2), arbiterSaw, HistoryEntry.Cause.LEASE_EXPIRED, "lease expired"));
    assertThat(story.last().rejection()).contains(Rejection.RENEWED_SINCE);
    assertThat(story.state().primary()).contains(MemberId.of("pg1"));
    assertThat(story.epoch()).isEqualTo(Epoch.of(1));
  }

  @Test
  void anElectionMovesTheEpochOnByOneAndTheNewPrimarysFirstRenewalStartsAFreshSynchronousSet() {
    Story story = Story.of().bootstrap().elect("pg1").renew("pg1").report("pg2", STANDBY).synchronous("pg1", "pg2")
        .release("pg1", Optional.of(Lsn.of(0x5000000))).elect("pg2");
    ClusterState s = story.state();
    assertThat(s.epoch()).isEqualTo(Epoch.of(2));
    assertThat(s.primary()).contains(MemberId.of("pg2"));
    assertThat(s.currentEntry().orElseThrow().switchLsn()).contains(Lsn.of(0x5000000));
    assertThat(s.lastRenewalIndex()).isEqualTo(story.index());
    // Until pg2 takes its lease, only pg1 may have accepted writes: the record still says who holds them.
    assertThat(s.synchronousStandbys()).containsExactly(MemberId.of("pg2"));
    assertThat(s.leaseTakenInEpoch()).isFalse();
    assertThat(s.lastLeaseHolder()).contains(MemberId.of("pg1"));

    ClusterState renewed = story.renew("pg2").state();
    assertThat(renewed.synchronousStandbys()).isEmpty();
    assertThat(renewed.leaseTakenInEpoch()).isTrue();
    assertThat(renewed.lastLeaseHolder()).contains(MemberId.of("pg2"));
  }

  @Test
  void anEpochWhosePrimaryNeverTookItsLeaseHandsItsPredecessorsPositionOn() {
    Story story = Story.of().bootstrap().elect("pg1").renew("pg1").report("pg2", STANDBY)
        .release("pg1", Optional.of(Lsn.of(0x5000000))).elect("pg2").release("pg2", Optional.of(Lsn.of(0x100))).elect("pg1");
    assertThat(story.state().currentEntry().orElseThrow().switchLsn()).contains(Lsn.of(0x5000000));
  }

  @Test
  void inSynchronousModeAnElectionOfAMemberNotKnownToHoldEveryAcknowledgedCommitIsRefused() {
    // The arbiter may decide on a stale view (it froze and thawed): the record is checked when the election applies.
    Story story = Story.of().bootstrap(ClusterSettings.DEFAULT.withSynchronousMode(io.ratisfailover.SynchronousMode.ON))
        .elect("pg1").renew("pg1").report("pg2", STANDBY).synchronous("pg1", "pg2").synchronous("pg1");
    Epoch before = story.epoch();
    story.elect("pg2");
    assertThat(story.last().rejection()).contains(Rejection.NOT_ELIGIBLE);
    assertThat(story.last().reason()).contains("pg2 is not known to hold every acknowledged commit");
    assertThat(story.epoch()).isEqualTo(before);

    story.synchronous("pg1", "pg2").elect("pg2");
    assertThat(story.last().rejection()).isEmpty();
  }

  @Test
  void anElectionForAnyEpochButTheNextIsStale() {
    Story story = Story.of().bootstrap().elect("pg1");
    story.apply("w1", new Command.Elect(MemberId.of("pg2"), Epoch.of(3), story.state().lastRenewalIndex(),
        HistoryEntry.Cause.LEASE_EXPIRED, "skipping an epoch"));
    assertThat(story.last().rejection()).contains(Rejection.STALE_EPOCH);
  }

  @Test
  void witnessesAndNofailoverMembersAreNeverElected() {
    Story story = Story.of().bootstrap().elect("w1");
    assertThat(story.last().rejection()).contains(Rejection.NOT_DATA_MEMBER);
    story.report("pg2", Tags.DEFAULT.withNoFailover(true), STANDBY).elect("pg2");
    assertThat(story.last().rejection()).contains(Rejection.NOT_ELIGIBLE);
  }

  @Test
  void aPausedClusterElectsOnlyForAnOperatorsRequest() {
    Story story = Story.of().bootstrap().elect("pg1").apply("w1", new Command.SetPause(true));
    story.release("pg1", Optional.empty()).elect("pg2");
    assertThat(story.last().rejection()).contains(Rejection.PAUSED);
    story.apply("w1", new Command.RequestSwitchover(Optional.empty(), Optional.of(MemberId.of("pg2")), story.epoch(), Optional.empty()))
        .elect("pg2");
    assertThat(story.last().applied()).isTrue();
    assertThat(story.state().switchover()).isEmpty();
  }

  @Test
  void aReleaseEndsTheRoleButNotTheEpoch() {
    Story story = Story.of().bootstrap().elect("pg1").release("pg1", Optional.of(Lsn.of(77)));
    assertThat(story.state().primary()).isEmpty();
    assertThat(story.epoch()).isEqualTo(Epoch.of(1));
    assertThat(story.state().releasedLsn()).contains(Lsn.of(77));
    story.release("pg1", Optional.empty());
    assertThat(story.last().rejection()).contains(Rejection.NOT_PRIMARY);
  }

  @Test
  void thePromotionIsRecordedInTheHistory() {
    Story story = Story.of().bootstrap().elect("pg1").promoted("pg1", 1);
    HistoryEntry entry = story.state().currentEntry().orElseThrow();
    assertThat(entry.promoted()).isTrue();
    assertThat(entry.timeline()).isEqualTo(1);
    story.elect("pg2").apply("pg1", new Command.RecordPromotion(Epoch.of(1), 2, Lsn.of(1)));
    assertThat(story.last().rejection()).contains(Rejection.STALE_EPOCH);
  }

  @Test
  void theSynchronousSetNamesOnlyOtherDataMembers() {
    Story story = Story.of().bootstrap().elect("pg1").synchronous("pg1", "pg1");
    assertThat(story.last().rejection()).contains(Rejection.INVALID);
    story.synchronous("pg1", "w1");
    assertThat(story.last().rejection()).contains(Rejection.UNKNOWN_MEMBER);
    story.synchronous("pg2", "pg1");
    assertThat(story.last().rejection()).contains(Rejection.NOT_PRIMARY);
    story.synchronous("pg1", "pg2");
    assertThat(story.state().synchronousStandbys()).containsExactly(MemberId.of("pg2"));
    story.apply("pg1", new Command.SetSynchronous(story.epoch(), Set.of(MemberId.of("pg2")), 2));
    assertThat(story.last().rejection()).as("a quorum larger than the set").contains(Rejection.INVALID);
    story.apply("pg1", new Command.SetSynchronous(story.epoch(), Set.of(MemberId.of("pg2")), 0));
    assertThat(story.last().rejection()).as("a quorum of none").contains(Rejection.INVALID);
  }

  @Test
  void aSwitchoverRequestIsCheckedAgainstTheCurrentPrimaryAndCandidate() {
    Story story = Story.of().bootstrap().elect("pg1");
    Epoch e = story.epoch();
    story.apply("w1", new Command.RequestSwitchover(Optional.of(MemberId.of("pg2")), Optional.empty(), e, Optional.empty()));
    assertThat(story.last().rejection()).contains(Rejection.NOT_PRIMARY);
    story.apply("w1", new Command.RequestSwitchover(Optional.empty(), Optional.of(MemberId.of("pg1")), e, Optional.empty()));
    assertThat(story.last().rejection()).contains(Rejection.NOT_ELIGIBLE);
    story.apply("w1", new Command.RequestSwitchover(Optional.empty(), Optional.of(MemberId.of("w1")), e, Optional.empty()));
    assertThat(story.last().rejection()).contains(Rejection.NOT_DATA_MEMBER);
    story.apply("w1", new Command.RequestSwitchover(Optional.empty(), Optional.empty(), Epoch.of(9), Optional.empty()));
    assertThat(story.last().rejection()).contains(Rejection.STALE_EPOCH);
    story.apply("w1", new Command.RequestSwitchover(Optional.of(MemberId.of("pg1")), Optional.of(MemberId.of("pg2")), e, Optional.empty()));
    assertThat(story.last().applied()).isTrue();
    story.apply("w1", new Command.RequestSwitchover(Optional.empty(), Optional.empty(), e, Optional.empty()));
    assertThat(story.last().rejection()).contains(Rejection.SWITCHOVER_PENDING);
    story.apply("w1", new Command.CancelSwitchover());
    assertThat(story.state().switchover()).isEmpty();
    story.apply("w1", new Command.CancelSwitchover());
    assertThat(story.last().rejection()).contains(Rejection.NO_SWITCHOVER);
  }

  @Test
  void aWitnessHasNoDatabaseToReport() {
    Story story = Story.of().bootstrap().report("w1", STANDBY);
    assertThat(story.last().rejection()).contains(Rejection.NOT_DATA_MEMBER);
  }

  @Test
  void settingsAndPauseAreReplicated() {
    Story story = Story.of().bootstrap()
        .apply("pg2", new Command.UpdateSettings(ClusterSettings.DEFAULT.withMaximumLagOnFailover(5)))
        .apply("pg2", new Command.SetPause(true));
    assertThat(story.state().settings().maximumLagOnFailover()).isEqualTo(5);
    assertThat(story.state().paused()).isTrue();
  }

  @Test
  void theHistoryKeepsTheLastEpochsOnly() {
    Story story = Story.of().bootstrap();
    for (int i = 0; i < ClusterState.HISTORY_LIMIT + 20; i++) {
      story.elect(i % 2 == 0 ? "pg1" : "pg2");
    }
    assertThat(story.state().history()).hasSize(ClusterState.HISTORY_LIMIT);
    assertThat(story.state().history().get(ClusterState.HISTORY_LIMIT - 1).epoch()).isEqualTo(story.epoch());
    assertThat(Set.copyOf(story.state().history().stream().map(HistoryEntry::epoch).toList())).hasSize(ClusterState.HISTORY_LIMIT);
  }

  @Test
  void anAddedMemberIsKnownAndCountedAndAddingItAgainChangesNothing() {
    Peer w2 = Peer.witness("w2", "127.0.0.1:7009");
    Story story = Story.of().bootstrap().apply("pg1", new Command.AddMember(w2));
    assertThat(story.last().applied()).isTrue();
    assertThat(story.state().member(w2.id())).map(MemberRecord::peer).contains(w2);
    assertThat(story.state().membershipChanges()).isEqualTo(1);
    story.apply("w2", new Command.SetPause(true));
    assertThat(story.last().applied()).as("the new member's requests apply").isTrue();

    story.apply("pg2", new Command.AddMember(w2));
    assertThat(story.last().applied()).isTrue();
    assertThat(story.state().membershipChanges()).isEqualTo(1);
    story.apply("pg2", new Command.AddMember(Peer.witness("w2", "127.0.0.1:7010")));
    assertThat(story.last().rejection()).contains(Rejection.INVALID);
    assertThat(story.last().reason()).isEqualTo("member w2 is already in the cluster as witness at 127.0.0.1:7009");
    story.apply("pg2", new Command.AddMember(Peer.witness("w3", "127.0.0.1:7009")));
    assertThat(story.last().reason()).isEqualTo("raft address 127.0.0.1:7009 is already member w2's");
  }

  @Test
  void aRemovedMemberIsNeverElectedAndItsRequestsAreRefused() {
    Story story = Story.of().bootstrap().elect("pg1").renew("pg1").apply("w1", new Command.RemoveMember(MemberId.of("pg2")));
    assertThat(story.last().applied()).isTrue();
    assertThat(story.state().members()).doesNotContainKey(MemberId.of("pg2"));
    story.apply("pg2", new Command.SetPause(true));
    assertThat(story.last().rejection()).contains(Rejection.UNKNOWN_MEMBER);
    story.apply("w1", new Command.Elect(MemberId.of("pg2"), story.state().epoch().next(), story.state().lastRenewalIndex(),
        HistoryEntry.Cause.LEASE_EXPIRED, "test"));
    assertThat(story.last().rejection()).contains(Rejection.UNKNOWN_MEMBER);
  }

  @Test
  void thePrimaryASynchronousStandbyAndStrangersCannotBeRemoved() {
    Story story = Story.of().bootstrap(ClusterSettings.DEFAULT.withSynchronousMode(SynchronousMode.ON)).elect("pg1")
        .renew("pg1").synchronous("pg1", "pg2");
    story.apply("w1", new Command.RemoveMember(MemberId.of("pg1")));
    assertThat(story.last().reason()).isEqualTo("pg1 is the primary; switch over to another member first");
    story.apply("w1", new Command.RemoveMember(MemberId.of("pg2")));
    assertThat(story.last().reason()).startsWith("pg2 is a synchronous standby");
    story.apply("w1", new Command.RemoveMember(MemberId.of("pg9")));
    assertThat(story.last().rejection()).contains(Rejection.UNKNOWN_MEMBER);
    assertThat(story.last().reason()).isEqualTo("member pg9 is not in cluster orders");
    assertThat(story.state().members()).hasSize(3);
    assertThat(story.state().membershipChanges()).isZero();
  }
}

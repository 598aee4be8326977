package io.ratisfailover.internal.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Story;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.DatabaseStatus;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ArbiterTest {
  static final long SEC = 1_000_000_000L;
  static final Timing TIMING = Timing.defaults();

  static DatabaseStatus replicaAt(long lsn) {
    return DatabaseStatus.replica(1, Lsn.of(lsn), Lsn.of(lsn), Optional.of(MemberId.of("pg1")));
  }

  static DatabaseStatus primaryAt(long lsn) {
    return DatabaseStatus.primary(1, Lsn.of(lsn), List.of(), java.util.Set.of());
  }

  /** Everyone reported 100 ms ago, the arbiter leads since 90 s and applied the last renewal at {@code renewedAt}. */
  static Arbiter.Decision decide(ClusterState s, long now, long renewedAt) {
    Map<MemberId, Report> reported = new HashMap<>();
    s.members().keySet().forEach(m -> reported.put(m, new Report(now - SEC / 10, 0)));
    return decide(s, now, renewedAt, reported);
  }

  static Arbiter.Decision decide(ClusterState s, long now, long renewedAt, Map<MemberId, Report> reported) {
    return decide(s, now, renewedAt, Duration.ZERO, reported);
  }

  static Arbiter.Decision decide(ClusterState s, long now, long renewedAt, Duration releasedAfterSilence,
      Map<MemberId, Report> reported) {
    return Arbiter.decide(new Arbiter.Input(s, MemberId.of("w1"), "orders", TIMING, now, 90 * SEC,
        renewedAt, releasedAfterSilence, reported, Optional.empty()));
  }

  static Command.Elect elected(Arbiter.Decision d) {
    return (Command.Elect) ((Arbiter.Action.Submit) d.action().orElseThrow()).command();
  }

  @Test
  void theArbiterLeavesTheBootstrapToTheDataMembersWhoseSettingsTheClusterTakes() {
    // The arbiter here runs on witness w1, which has no PostgreSQL settings to give (issue 11, item 6).
    Arbiter.Decision d = decide(ClusterState.EMPTY, 100 * SEC, 0);
    assertThat(d.action()).isEmpty();
    assertThat(d.reason()).contains("waiting for a data member to bootstrap");
  }

  @Test
  void aPrimaryThatRenewedRecentlyIsLeftAloneUntilItsLeaseCouldHaveRunOut() {
    ClusterState s = Story.of().bootstrap().elect("pg1").report("pg2", replicaAt(100)).state();
    Arbiter.Decision d = decide(s, 101 * SEC, 100 * SEC);
    assertThat(d.action()).isEmpty();
    assertThat(d.nextCheckAt()).isEqualTo(103 * SEC);
    assertThat(d.reason()).contains("primary pg1 holds epoch 1");
  }

  @Test
  void afterTtlWithoutARenewalTheMostAdvancedStandbyIsElectedAgainstTheLastRenewal() {
    Story story = Story.of().bootstrap().elect("pg1").report("pg1", primaryAt(5000)).report("pg2", replicaAt(4900));
    Arbiter.Decision d = decide(story.state(), 103 * SEC, 100 * SEC);
    Command.Elect elect = elected(d);
    assertThat(elect.candidate()).isEqualTo(MemberId.of("pg2"));
    assertThat(elect.epoch().value()).isEqualTo(2);
    assertThat(elect.expectedRenewalIndex()).isEqualTo(story.state().lastRenewalIndex());
    assertThat(elect.cause()).isEqualTo(HistoryEntry.Cause.LEASE_EXPIRED);
  }

  /**
   * The old primary answers 200 only under its lease: 2.5 s on its clock from before this node
   * applied the renewal, at most 2.5 s x 1.01/0.99 on this one. The election tells the new primary
   * how long ago that was, so its probe spends only what remains of primary_hold_off (issue 13).
   */
  @Test
  void anElectionAfterALeaseExpiredSaysHowLongTheOldPrimaryHasBeenSilentAtLeast() {
    Story story = Story.of().bootstrap().elect("pg1").renew("pg1").report("pg1", primaryAt(5000))
        .report("pg2", replicaAt(5000));
    assertThat(elected(decide(story.state(), 103 * SEC, 100 * SEC)).predecessorSilent())
        .isBetween(Duration.ofMillis(440), Duration.ofMillis(450));
    // A later election (the arbiter was busy, or a Raft election came first) says more.
    assertThat(elected(decide(story.state(), 105 * SEC, 100 * SEC)).predecessorSilent())
        .isBetween(Duration.ofMillis(2420), Duration.ofMillis(2430));
  }

  @Test
  void anElectionAfterAReleaseCountsTheSilenceFromTheRelease() {
    Story story = Story.of().bootstrap().elect("pg1").renew("pg1").report("pg2", replicaAt(1))
        .release("pg1", Optional.of(Lsn.of(1)));
    assertThat(elected(decide(story.state(), 100 * SEC + 202_000_000, 100 * SEC)).predecessorSilent())
        .isBetween(Duration.ofMillis(199), Duration.ofMillis(201));
  }

  /** Issue 13: a switchover's clean stop is not waited out twice (once before the release, once in the hold-off). */
  @Test
  void anElectionAfterAReleaseAddsTheSilenceTheOldPrimaryKeptBeforeSendingIt() {
    Story story = Story.of().bootstrap().elect("pg1").renew("pg1").report("pg2", replicaAt(1))
        .release("pg1", Optional.of(Lsn.of(1)));
    long now = 100 * SEC + 202_000_000;
    Map<MemberId, Report> reported = new HashMap<>();
    story.state().members().keySet().forEach(m -> reported.put(m, new Report(now - SEC / 10, 0)));
    // 202 ms here since the release's apply, 303 ms on pg1's clock before it sent it: each could be
    // that much real time only on a clock running fast by the whole drift bound.
    assertThat(elected(decide(story.state(), now, 100 * SEC, Duration.ofMillis(303), reported)).predecessorSilent())
        .isBetween(Duration.ofMillis(499), Duration.ofMillis(501));
  }

  @Test
  void theArbiterWaitsForTheLongestLeaseAPrimaryAskedFor() {
    ClusterState s = Story.of().bootstrap().elect("pg1").apply("pg1", new Command.Renew(io.ratisfailover.Epoch.of(1), 10_000))
        .report("pg2", replicaAt(1)).state();
    assertThat(decide(s, 110 * SEC, 100 * SEC).action()).isEmpty();
    // The arbiter adds its own margin for clock drift to a lease longer than its ttl.
    assertThat(decide(s, 110 * SEC + TIMING.leaseMargin().toNanos() - 1, 100 * SEC).action()).isEmpty();
    assertThat(decide(s, 110 * SEC + TIMING.leaseMargin().toNanos(), 100 * SEC).action()).isPresent();
  }

  @Test
  void aStandbyTooFarBehindIsNotElected() {
    ClusterState s = Story.of().bootstrap().elect("pg1").renew("pg1").report("pg1", primaryAt(10L << 20))
        .report("pg2", replicaAt(1)).state();
    Arbiter.Decision d = decide(s, 103 * SEC, 100 * SEC);
    assertThat(d.action()).isEmpty();
    assertThat(d.reason()).contains("pg2: lags").contains("maximum_lag_on_failover");
  }

  /** It cannot promote before it reaches a consistent state (chaos seed 22: elected twice, 30 s lost each time). */
  @Test
  void aStandbyThatHasNotReachedAConsistentStateIsNotElected() {
    DatabaseStatus recovering = new DatabaseStatus(DatabaseState.RECOVERING, 1, Lsn.ZERO, Lsn.of(4900), Lsn.of(4900),
        Optional.of(MemberId.of("pg1")), Optional.empty(), List.of(), java.util.Set.of(), "not consistent yet");
    ClusterState s = Story.of().bootstrap().elect("pg1").renew("pg1").report("pg1", primaryAt(5000))
        .report("pg2", recovering).state();
    Arbiter.Decision d = decide(s, 103 * SEC, 100 * SEC);
    assertThat(d.action()).isEmpty();
    assertThat(d.reason()).contains("pg2: database is RECOVERING");
  }

  @Test
  void inSynchronousModeOnlyARecordedSynchronousStandbyIsElected() {
    Story story = Story.of().bootstrap(ClusterSettings.DEFAULT.withSynchronousMode(SynchronousMode.ON)).elect("pg1")
        .renew("pg1").report("pg2", replicaAt(1));
    assertThat(decide(story.state(), 103 * SEC, 100 * SEC).reason()).contains("not a recorded synchronous standby");
    story.synchronous("pg1", "pg2");
    assertThat(elected(decide(story.state(), 103 * SEC, 100 * SEC)).candidate()).isEqualTo(MemberId.of("pg2"));
  }

  @Test
  void inSynchronousModeTheLastPrimaryBackAsAStandbyWithItsWalIsElectedWhenNoStandbyWasRecorded() {
    // Found by the chaos test (seed 89922): the primary restarted before its new standby was
    // recorded synchronous; nobody was eligible and the cluster stayed without a primary.
    Story story = Story.of().bootstrap(ClusterSettings.DEFAULT.withSynchronousMode(SynchronousMode.ON)).elect("pg1")
        .renew("pg1").report("pg2", replicaAt(450)).release("pg1", Optional.of(Lsn.of(500))).report("pg1", replicaAt(400));
    assertThat(decide(story.state(), 100 * SEC + 1, 100 * SEC).reason())
        .contains("pg1: not a recorded synchronous standby").contains("pg2: not a recorded synchronous standby");
    story.report("pg1", replicaAt(500));
    assertThat(elected(decide(story.state(), 100 * SEC + 1, 100 * SEC)).candidate()).isEqualTo(MemberId.of("pg1"));
  }

  @Test
  void inSynchronousModeAnEpochWhosePrimaryNeverTookItsLeaseLeavesTheCandidatesAsTheyWere() {
    // Chaos seed 453479: a switchover elected pg2, which never learned of it; the election had wiped
    // the synchronous record, so nobody was eligible any more and the cluster stayed without a primary.
    Story story = Story.of().bootstrap(ClusterSettings.DEFAULT.withSynchronousMode(SynchronousMode.ON)).elect("pg1")
        .renew("pg1").report("pg2", replicaAt(450)).synchronous("pg1", "pg2").report("pg2", replicaAt(500))
        .release("pg1", Optional.of(Lsn.of(500))).elect("pg2").report("pg1", replicaAt(500));
    Command.Elect elect = elected(decide(story.state(), 103 * SEC, 100 * SEC));
    assertThat(elect.candidate()).isEqualTo(MemberId.of("pg1"));
    assertThat(elect.epoch().value()).isEqualTo(3);

    Story taken = Story.of().bootstrap(ClusterSettings.DEFAULT.withSynchronousMode(SynchronousMode.ON)).elect("pg1")
        .renew("pg1").report("pg2", replicaAt(450)).synchronous("pg1", "pg2").report("pg2", replicaAt(500))
        .release("pg1", Optional.of(Lsn.of(500))).elect("pg2").renew("pg2").report("pg1", replicaAt(500));
    assertThat(decide(taken.state(), 103 * SEC, 100 * SEC).reason()).contains("pg1: not a recorded synchronous standby");
  }

  @Test
  void aStandbyWhoseRaftLogDoesNotAdvanceIsNotElected() {
    // It reports through its Raft client, but applies nothing: it would never learn of its election.
    ClusterState s = Story.of().bootstrap().elect("pg1").renew("pg1").report("pg2", replicaAt(1)).state();
    Map<MemberId, Report> reported = Map.of(MemberId.of("pg2"), new Report(103 * SEC, 4 * SEC));
    Arbiter.Decision d = decide(s, 103 * SEC + 1, 100 * SEC, reported);
    assertThat(d.action()).isEmpty();
    assertThat(d.reason()).contains("pg2: its Raft log is more than a ttl behind");
    assertThat(elected(decide(s, 103 * SEC + 1, 100 * SEC, Map.of(MemberId.of("pg2"), new Report(103 * SEC, SEC / 10))))
        .candidate()).isEqualTo(MemberId.of("pg2"));
  }

  @Test
  void aStandbyThatHasNotReportedWithinTtlIsNotTrusted() {
    ClusterState s = Story.of().bootstrap().elect("pg1").report("pg2", replicaAt(1)).state();
    Arbiter.Decision d = decide(s, 104 * SEC, 100 * SEC, Map.of(MemberId.of("pg2"), new Report(101 * SEC, 0)));
    assertThat(d.action()).isEmpty();
    assertThat(d.reason()).contains("pg2: no recent status report");
  }

  @Test
  void aReleasedEpochIsReplacedAtOnceByTheOperatorsCandidate() {
    Story story = Story.of().bootstrap().elect("pg1").report("pg2", replicaAt(1))
        .apply("w1", new Command.RequestSwitchover(Optional.of(MemberId.of("pg1")), Optional.of(MemberId.of("pg2")),
            io.ratisfailover.Epoch.of(1), Optional.empty()))
        .release("pg1", Optional.of(Lsn.of(7)));
    Command.Elect elect = elected(decide(story.state(), 100 * SEC + 1, 100 * SEC));
    assertThat(elect.candidate()).isEqualTo(MemberId.of("pg2"));
    assertThat(elect.cause()).isEqualTo(HistoryEntry.Cause.SWITCHOVER);
  }

  @Test
  void aPausedClusterIsNotFailedOver() {
    ClusterState s = Story.of().bootstrap().elect("pg1").report("pg2", replicaAt(1))
        .apply("w1", new Command.SetPause(true)).state();
    Arbiter.Decision d = decide(s, 103 * SEC, 100 * SEC);
    assertThat(d.action()).isEmpty();
    assertThat(d.reason()).contains("paused");
  }

  @Test
  void theFirstElectionWaitsForTheDataMembersThenPrefersExistingData() {
    Story story = Story.of().bootstrap().report("pg1", DatabaseStatus.of(DatabaseState.ABSENT, ""));
    Map<MemberId, Report> reported = Map.of(MemberId.of("pg1"), new Report(100 * SEC, 0));
    Arbiter.Decision waiting = Arbiter.decide(new Arbiter.Input(story.state(), MemberId.of("w1"), "orders",
        TIMING, 100 * SEC, 99 * SEC, 0, reported));
    assertThat(waiting.action()).isEmpty();
    assertThat(waiting.reason()).contains("waiting for every data member");

    story.report("pg2", replicaAt(9));
    Command.Elect first = elected(decide(story.state(), 100 * SEC, 0));
    assertThat(first.candidate()).isEqualTo(MemberId.of("pg2"));
    assertThat(first.cause()).isEqualTo(HistoryEntry.Cause.BOOTSTRAP);
  }

  @Test
  void onAnEmptyClusterTheHighestPriorityMemberBootstraps() {
    ClusterState s = Story.of().bootstrap().report("pg1", DatabaseStatus.of(DatabaseState.ABSENT, ""))
        .report("pg2", io.ratisfailover.Tags.DEFAULT.withFailoverPriority(5), DatabaseStatus.of(DatabaseState.ABSENT, ""))
        .state();
    assertThat(elected(decide(s, 100 * SEC, 0)).candidate()).isEqualTo(MemberId.of("pg2"));
  }

  @Test
  void anArbiterOnThePrimarysHostMovesAway() {
    // Changed with issue 14: only once the promotion is recorded (see the next test).
    ClusterState s = Story.of().bootstrap().elect("pg1").renew("pg1").promoted("pg1", 2).state();
    Arbiter.Decision d = Arbiter.decide(new Arbiter.Input(s, MemberId.of("pg1"), "orders",
        TIMING, 101 * SEC, 90 * SEC, 100 * SEC, Map.of()));
    assertThat(d.action()).contains(new Arbiter.Action.PlaceLeaderAway(MemberId.of("pg1")));
  }

  @Test
  void anArbiterThatElectedItselfKeepsRaftLeadershipUntilItsPromotionIsRecorded() {
    // A leadership transfer refuses writes, the new primary's first renewal among them: a standby
    // that leads (RaftLeaderPreference.STANDBY) and elects itself would promote later.
    ClusterState s = Story.of().bootstrap().elect("pg1").renew("pg1").state();
    Arbiter.Decision d = Arbiter.decide(new Arbiter.Input(s, MemberId.of("pg1"), "orders",
        TIMING, 101 * SEC, 90 * SEC, 100 * SEC, Map.of()));
    assertThat(d.action()).isEmpty();
    assertThat(d.reason()).contains("once the promotion is recorded");
    assertThat(d.nextCheckAt()).isLessThanOrEqualTo(101 * SEC + TIMING.loopWait().toNanos());
    assertThat(Arbiter.mayPlaceLeader(s, MemberId.of("w1"))).as("an arbiter elsewhere re-weighs at once").isTrue();
  }

  @Test
  void aGroupHoldingAnotherClusterIsLeftAlone() {
    ClusterState s = Story.of().bootstrap().state();
    Arbiter.Decision d = Arbiter.decide(new Arbiter.Input(s, MemberId.of("w1"), "billing",
        TIMING, 100 * SEC, 90 * SEC, 0, Map.of()));
    assertThat(d.action()).isEmpty();
    assertThat(d.reason()).contains("holds cluster orders");
  }

  static Duration ms(long v) {
    return Duration.ofMillis(v);
  }
}

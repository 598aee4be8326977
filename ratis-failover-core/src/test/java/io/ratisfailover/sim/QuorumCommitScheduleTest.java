package io.ratisfailover.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.internal.control.BrokenAgents;
import org.junit.jupiter.api.Test;

/**
 * Schedules of quorum commit (four data members, ANY 2 of 3) replayed exactly: each must stay safe
 * under the production rules, and the one {@link BrokenVariants.QuorumElectionHearingTooFew} was
 * caught with must lose an acknowledged commit when the candidate hears from itself alone.
 */
class QuorumCommitScheduleTest {
  /**
   * Found by {@code QuorumElectionHearingTooFew} in {@code BrokenVariantsTest} once Raft leadership
   * moved to a standby (the schedule first kept no longer lost a commit with the new timeline):
   * pg1's database fails while links are slow and one-way; pg4, elected, compares with nobody and
   * promotes without the commits pg1 had acknowledged through the others.
   */
  static final String HEARD_TOO_FEW = "seed=0 rates=0.99000,0.99000,0.99000,0.99000,0.99000 sync=on watchdog=on "
      + "faults=delay(6000,10000,1499,999);oneway(4,2,6001,10000);crash(3,6076,214);dbcrash(0,6101);oneway(0,1,6144,10000);"
      + "snapshot(1,14488)";

  /** A primary whose agent dies, its database running unfenced (no watchdog): the standbys detach from it. */
  static final String DEAD_AGENT = "seed=0 rates=0.99,0.99,0.99,0.99,0.99 sync=on watchdog=off faults=agentcrash(0,6000,10000,200)";

  @Test
  void theScheduleTheBrokenRuleWasCaughtWithLosesACommitOnlyUnderTheBrokenRule() {
    Simulation.Outcome broken = run(SimConfig.quorumCommit().withAgentPolicy(BrokenAgents.electedHearingOnlyItself()), HEARD_TOO_FEW);
    assertThat(broken.violations()).as(broken::report).anyMatch(v -> v.startsWith("S4 at"));
    Simulation.Outcome production = run(SimConfig.quorumCommit(), HEARD_TOO_FEW);
    assertThat(production.violations()).as(production::report).isEmpty();
  }

  /**
   * Found by {@code QuorumCommitSafetyProperties} (L1): the candidate stepped aside on a stale view of
   * its own position, its release got lost, and a fresh view let it renew the epoch it had released,
   * which then waited for switchover_timeout. The candidate now detaches before it compares, and a
   * member never renews an epoch it released.
   */
  static final String STEPPED_ASIDE_THEN_RENEWED = "seed=-18 rates=0.99000,0.99000,0.99000,0.99000,0.99012 sync=on "
      + "watchdog=off faults=dbcrash(0,6023);loss(6067,6674,0.540);noappends(4,6073,3448);dbcrash(0,17888);dbhang(1,25208,1410)";

  @Test
  void aCandidateThatSteppedAsideNeverRenewsTheEpochItReleased() {
    Simulation.Outcome outcome = run(SimConfig.quorumCommit(), STEPPED_ASIDE_THEN_RENEWED);
    assertThat(outcome.violations()).as(outcome::report).isEmpty();
  }

  /**
   * Found by {@code QuorumCommitSafetyProperties} (H1): a candidate asked to switch over before it
   * promoted released its epoch saying it had been silent for 28 s (since it last served, two epochs
   * before), while the primary before it had answered 200 until 2.8 s earlier. A release now tells a
   * silence only within the epoch it releases.
   */
  static final String RELEASED_AN_EPOCH_IT_NEVER_SERVED = "seed=0 rates=0.99000,0.99000,0.99000,0.99000,0.99000 sync=on "
      + "watchdog=on faults=switchover(3,6081);delay(6131,953,79,472);pause(0,7476,125);crash(2,21950,392);"
      + "switchover(3,32114);switchover(1,33266)";

  @Test
  void aMemberReleasingAnEpochItNeverServedInClaimsNoSilence() {
    Simulation.Outcome outcome = run(SimConfig.quorumCommit(), RELEASED_AN_EPOCH_IT_NEVER_SERVED);
    assertThat(outcome.violations()).as(outcome::report).isEmpty();
  }

  @Test
  void anOldPrimaryWhoseAgentDiedAcknowledgesNothingAfterTheElection() {
    Simulation.Outcome outcome = run(SimConfig.quorumCommit(), DEAD_AGENT);
    assertThat(outcome.violations()).as(outcome::report).isEmpty();
    assertThat(outcome.stats().failovers()).as(outcome::report).isPositive();
  }

  private static Simulation.Outcome run(SimConfig config, String schedule) {
    return QuietLogs.run(new Simulation(config, Schedule.parse(schedule)));
  }

  /**
   * Found by {@code QuorumCommitSafetyProperties} (L1): three data members crash together for
   * 200 ms. They come back with their databases stopped; the candidate waited for its own position
   * and the others waited for it to promote, until it gave up, and so did the next. Both now start a
   * stopped database detached, so its position is known.
   */
  static final String STOPPED_TOGETHER = "seed=0 rates=0.99000,0.99000,0.99000,0.99000,0.99000 sync=on watchdog=on "
      + "faults=crash(1,6000,200);crash(0,6000,200);crash(2,6000,200)";

  @Test
  void standbysWhoseDatabasesStoppedStartDetachedSoTheCandidateCanCompare() {
    Simulation.Outcome outcome = run(SimConfig.quorumCommit(), STOPPED_TOGETHER);
    assertThat(outcome.violations()).as(outcome::report).isEmpty();
  }
}

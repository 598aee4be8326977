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
   * Found by {@code QuorumElectionHearingTooFew} (3,000 tries, shrunk to one fault): pg1's agent dies
   * while its database runs on, unfenced (no watchdog), acknowledging commits that pg3 and pg4
   * confirm; pg2, elected, compares with nobody and promotes without them.
   */
  static final String HEARD_TOO_FEW = "seed=3647407585 rates=0.99003,0.99080,0.99171,0.99065,0.99013 sync=on watchdog=off "
      + "faults=agentcrash(0,6013,2813,0)";

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

  @Test
  void anOldPrimaryWhoseAgentDiedAcknowledgesNothingAfterTheElection() {
    Simulation.Outcome outcome = run(SimConfig.quorumCommit(), DEAD_AGENT);
    assertThat(outcome.violations()).as(outcome::report).isEmpty();
    assertThat(outcome.stats().failovers()).as(outcome::report).isPositive();
  }

  private static Simulation.Outcome run(SimConfig config, String schedule) {
    QuietLogs.quiet();
    try {
      return new Simulation(config, Schedule.parse(schedule)).run();
    } finally {
      QuietLogs.restore();
    }
  }
}

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

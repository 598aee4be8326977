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
   * Found by {@code QuorumElectionHearingTooFew} (3,000 tries, shrunk): pg1 (primary) loses its
   * storage and crashes while pg2 and the witness are cut off, so pg2 missed commits that pg3 and
   * pg4 confirmed; elected, pg2 compares with nobody and promotes without them.
   */
  static final String HEARD_TOO_FEW = "seed=4181 rates=0.99918,0.99480,1.00242,1.00134,0.99022 sync=on watchdog=off "
      + "faults=wipe(0,6085,3213);partition(1+4,6122,1586);deaf(2,6656,507);crash(0,8586,10025);"
      + "partition(0+1+2+3,10015,4085);slowlink(0,4,35999,12000,100);slowlink(3,4,36000,12000,101)";

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

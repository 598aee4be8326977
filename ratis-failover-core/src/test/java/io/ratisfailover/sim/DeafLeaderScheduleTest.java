package io.ratisfailover.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The Raft leader stops accepting connections (a firewall on its Raft port) while its own
 * connections keep working: its appends keep every follower from electing another leader, and no
 * report or renewal reaches it. Without a hand-over the cluster loses its primary for as long as
 * the firewall stays, although the two other members reach each other.
 */
class DeafLeaderScheduleTest {
  /** Lease expiry, a hand-over after two ttl unheard, an election and a promotion, with room. */
  static final long BOUND_MILLIS = 20_000;

  @Test
  void aWitnessLeaderThatNobodyReachesHandsLeadershipOver() {
    assertPrimaryReturnsWhileDeaf("seed=11 rates=1.0,1.0,1.0 sync=on watchdog=on faults=deaf(2,6000,90000)");
  }

  @Test
  void aDataMemberThatNobodyReachesLosesNoPrimaryForLong() {
    // pg1 goes deaf whether it leads or not: a primary must serve again either way.
    assertPrimaryReturnsWhileDeaf("seed=13 rates=1.0,1.0,1.0 sync=off watchdog=on faults=deaf(0,6000,90000)");
  }

  private static void assertPrimaryReturnsWhileDeaf(String schedule) {
    Simulation.Outcome outcome = QuietLogs.run(new Simulation(SimConfig.threeMembers(), Schedule.parse(schedule)));
    assertThat(outcome.violations()).as(outcome::report).isEmpty();
    assertThat(outcome.stats().longestWithoutPrimaryMillis()).as(outcome::report).isLessThan(BOUND_MILLIS);
  }
}

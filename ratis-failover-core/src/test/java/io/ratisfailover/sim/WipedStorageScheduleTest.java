package io.ratisfailover.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A member's Raft storage is lost while its agent is down, and it rejoins on empty storage (issue
 * 10, item 2). It must stay safe while it knows nothing, and count again once caught up: each
 * schedule later crashes another member, which leaves no majority unless the rejoined one votes.
 */
class WipedStorageScheduleTest {
  @Test
  void aPrimaryOnWipedStorageRejoinsAndVotesAgain() {
    assertRejoins("pg1", "seed=3 rates=1.0,1.0,1.0 sync=on watchdog=off faults=wipe(0,6000,3000);crash(1,25000,4000)");
  }

  @Test
  void aStandbyOnWipedStorageRejoinsInAsynchronousMode() {
    assertRejoins("pg2", "seed=5 rates=1.0,1.0,1.0 sync=off watchdog=on faults=wipe(1,6000,1500);crash(0,25000,4000)");
  }

  @Test
  void aWitnessOnWipedStorageRejoinsAndVotesAgain() {
    assertRejoins("w1", "seed=7 rates=1.0,1.0,1.0 sync=on watchdog=on faults=wipe(2,6000,5000);crash(0,25000,4000)");
  }

  private static void assertRejoins(String member, String schedule) {
    Simulation.Outcome outcome = QuietLogs.run(new Simulation(SimConfig.threeMembers(), Schedule.parse(schedule)));
    assertThat(outcome.violations()).as(outcome::report).isEmpty();
    assertThat(outcome.trace()).as(outcome::report).anyMatch(line -> line.endsWith("raft: " + member + " is up to date and a voter again"));
  }
}

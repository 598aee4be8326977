package io.ratisfailover.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimulationSmokeTest {
  @Test
  void aQuietClusterElectsOnePrimaryAndKeepsIt() {
    Schedule schedule = new Schedule(42, List.of(1.0, 1.0, 1.0), List.of());
    Simulation.Outcome outcome = new Simulation(SimConfig.threeMembers(), schedule).run();
    System.out.println(outcome.report());
    assertThat(outcome.violations()).isEmpty();
    assertThat(outcome.stats().failovers()).isZero();
  }

  @Test
  void aSwitchoverDrainsFirstThenHandsOver() {
    Schedule schedule = Schedule.parse("seed=7 rates=1.0,1.0,1.0 faults=switchover(2,8000)");
    Simulation.Outcome outcome = new Simulation(SimConfig.threeMembers().withSwitchoverDrain(Duration.ofMillis(300)), schedule)
        .run();
    System.out.println(outcome.report());
    assertThat(outcome.violations()).isEmpty();
    assertThat(outcome.stats().failovers()).isEqualTo(1);
    assertThat(outcome.trace()).anySatisfy(line -> assertThat(line)
        .contains("PRIMARY -> DEMOTING").contains("answering 503 on /primary for another 300 ms"));
  }

  @Test
  void thePrimaryHostDiesAndAnotherMemberTakesOver() {
    Schedule schedule = Schedule.parse("seed=7 rates=1.0,1.0,1.0 faults=crash(0,8000,10000)");
    Simulation.Outcome outcome = new Simulation(SimConfig.threeMembers(), schedule).run();
    System.out.println(outcome.report());
    assertThat(outcome.violations()).isEmpty();
  }
}

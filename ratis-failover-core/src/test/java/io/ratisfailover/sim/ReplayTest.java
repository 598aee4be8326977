package io.ratisfailover.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Replays one schedule printed by a failing property, with full logs:
 * {@code mvn -pl ratis-failover-core test -Dtest=ReplayTest -Dsim.schedule='seed=... rates=... faults=...'}
 * (add {@code -Dsim.members=5} for the five-member layout, {@code -Dsim.members=quorum} for quorum commit, {@code -Dsim.tolerable=true} for a schedule
 * of {@code noFailoverWhileFaultsStayWithinTolerance}, which runs without late answers).
 */
class ReplayTest {
  @Test
  @EnabledIfSystemProperty(named = "sim.schedule", matches = ".+")
  void replay() {
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("io.ratisfailover"))
        .setLevel(ch.qos.logback.classic.Level.DEBUG);
    Schedule schedule = Schedule.parse(System.getProperty("sim.schedule"));
    SimConfig config = SimConfig.named(System.getProperty("sim.members"));
    if (Boolean.getBoolean("sim.tolerable")) {
      config = config.withoutLateReplies();
    }
    Simulation.Outcome outcome = new Simulation(config, schedule).run();
    System.out.println(outcome.report());
    assertThat(outcome.violations()).as(outcome::report).isEmpty();
  }
}

package io.ratisfailover.sim;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;

/**
 * The invariants of docs/design.md §4 over generated fault schedules, against the real state machine,
 * agent, arbiter and runtime in the deterministic simulation: two data members and a witness at
 * default timing, {@code jqwik.tries.default} schedules per run (1,000 in CI). A failure prints the
 * shrunk schedule; replay it with {@link ReplayTest} ({@code -Dsim.schedule='...'}).
 */
class SafetyProperties extends SafetyContract {
  @Override
  SimConfig config() {
    return SimConfig.threeMembers();
  }

  /** Faults the configuration is meant to ride out must never cause a failover. */
  @Property(tries = 300, shrinking = ShrinkingMode.BOUNDED)
  void noFailoverWhileFaultsStayWithinTolerance(@ForAll("tolerable") Schedule schedule) {
    Simulation.Outcome outcome = QuietLogs.run(new Simulation(config().withoutLateReplies(), schedule));
    assertThat(outcome.violations()).as(outcome::report).isEmpty();
    assertThat(outcome.stats().failovers()).as(outcome::report).isZero();
  }

  @Provide
  Arbitrary<Schedule> tolerable() {
    return Schedules.tolerable(config(), config().timing().maxClockDrift(), 6);
  }
}

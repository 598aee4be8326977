package io.ratisfailover.sim;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;

/**
 * The safety and liveness property, written once: subclasses choose the cluster and the rules
 * under test. {@link SafetyProperties} runs it against the production rules; {@link BrokenVariants}
 * runs the very same property against deliberately broken rules and expects it to fail.
 */
abstract class SafetyContract {
  /** The cluster and the rules under test. */
  abstract SimConfig config();

  /** How far apart the members' clock rates may really be in the generated schedules. */
  double actualDrift() {
    return config().timing().maxClockDrift();
  }

  int maxFaults() {
    return 8;
  }

  @Property(shrinking = ShrinkingMode.BOUNDED)
  void staysSafeAndLiveUnderAnyFaults(@ForAll("schedules") Schedule schedule) {
    Simulation.Outcome outcome = QuietLogs.run(new Simulation(config(), schedule));
    assertThat(outcome.violations()).as(outcome::report).isEmpty();
  }

  @Provide
  Arbitrary<Schedule> schedules() {
    return Schedules.anyFaults(config(), actualDrift(), maxFaults());
  }
}

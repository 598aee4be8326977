package io.ratisfailover.sim;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Runs many generated schedules and counts which invariants break, without stopping at the first
 * failure or shrinking: how often a property would catch a bug, e.g. a mutation of the core.
 * {@code mvn -pl ratis-failover-core test -Dtest=SurveyTest -Dsim.survey=500} (add
 * {@code -Dsim.members=5} for the five-member layout, {@code -Dsim.members=quorum} for quorum commit).
 */
class SurveyTest {
  @Test
  @EnabledIfSystemProperty(named = "sim.survey", matches = "\\d+")
  void survey() {
    int count = Integer.parseInt(System.getProperty("sim.survey"));
    String members = System.getProperty("sim.members", "3");
    SimConfig config = SimConfig.named(members);
    List<Schedule> schedules = (members.equals("quorum")
        ? Schedules.synchronousFaults(config, config.timing().maxClockDrift(), 10)
        : Schedules.anyFaults(config, config.timing().maxClockDrift(), members.equals("5") ? 10 : 8))
        .sampleStream().limit(count).toList();
    System.out.println("survey: " + schedules.stream().mapToInt(s -> s.faults().size()).average().orElse(0)
        + " faults on average; fault kinds: " + schedules.stream().flatMap(s -> s.faults().stream())
        .collect(java.util.stream.Collectors.groupingBy(f -> f.getClass().getSimpleName(), TreeMap::new,
            java.util.stream.Collectors.counting())));
    Map<String, Integer> broken = new TreeMap<>();
    Map<String, String> example = new TreeMap<>();
    int failed = 0;
    for (Schedule schedule : schedules) {
      Simulation.Outcome outcome = QuietLogs.run(new Simulation(config, schedule));
      if (!outcome.ok()) {
        failed++;
        String invariant = outcome.violations().get(0).split(" ", 2)[0];
        broken.merge(invariant, 1, Integer::sum);
        System.out.println("failed: " + schedule + "\n    " + outcome.violations().get(0));
        example.merge(invariant, schedule + "\n    " + outcome.violations().get(0), (a, b) ->
            a.length() <= b.length() ? a : b);
      }
    }
    System.out.println("survey: " + failed + " of " + count + " schedules broke an invariant: " + broken);
    example.forEach((k, v) -> System.out.println("  shortest " + k + ": " + v));
  }
}

package io.ratisfailover.examples.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seeded chaos run ({@link ChaosRun}) with real PostgreSQL, sidecar and witness processes and
 * HAProxy, each in its own network namespace: about four minutes of faults by default, longer with
 * {@code -Dchaos.duration=PT30M}, one schedule again with {@code -Dchaos.seed=N}.
 */
@Tag("chaos")
class ChaosTest {
  @TempDir
  Path dir;

  @Test
  void safetyHoldsThroughASeededScheduleOfFaults() throws Exception {
    Prerequisites.require();
    long seed = Long.getLong("chaos.seed", ThreadLocalRandom.current().nextLong(1, 1_000_000));
    Duration duration = Duration.parse(System.getProperty("chaos.duration", "PT4M"));
    Prerequisites.openUpTo(dir);
    int exit = ChaosRun.run(seed, duration, dir.resolve("chaos"));
    assertThat(exit).as("chaos run with seed %d and duration %s (its output above names every violation)", seed, duration)
        .isZero();
  }
}

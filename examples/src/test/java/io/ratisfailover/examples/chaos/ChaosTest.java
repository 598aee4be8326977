package io.ratisfailover.examples.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seeded chaos run ({@link ChaosRun}) with real PostgreSQL, sidecar and witness processes and
 * HAProxy, each in its own network namespace: about four minutes of faults by default, longer with
 * {@code -Dchaos.duration=PT30M}, one schedule again with {@code -Dchaos.seed=N}. It needs root, the
 * cgroup freezer, iproute2, nftables, HAProxy and the PostgreSQL server binaries: in CI their
 * absence fails the test, elsewhere it skips with the reason.
 */
@Tag("chaos")
class ChaosTest {
  @TempDir
  Path dir;

  @Test
  void safetyHoldsThroughASeededScheduleOfFaults() throws Exception {
    List<String> missing = missingPrerequisites();
    if (System.getenv("CI") == null) {
      Assumptions.assumeTrue(missing.isEmpty(), "chaos test needs: " + missing);
    }
    assertThat(missing).as("prerequisites of the chaos test (scripts/prerequisites.sh installs them)").isEmpty();
    long seed = Long.getLong("chaos.seed", ThreadLocalRandom.current().nextLong(1, 1_000_000));
    Duration duration = Duration.parse(System.getProperty("chaos.duration", "PT4M"));
    // PostgreSQL runs as 'postgres' and must reach its data directory under the temporary directory.
    for (Path p = dir; p != null; p = p.getParent()) {
      p.toFile().setExecutable(true, false);
    }
    int exit = ChaosRun.run(seed, duration, dir.resolve("chaos"));
    assertThat(exit).as("chaos run with seed %d and duration %s (its output above names every violation)", seed, duration)
        .isZero();
  }

  private static List<String> missingPrerequisites() {
    List<String> missing = new ArrayList<>();
    if (!"root".equals(System.getProperty("user.name"))) {
      missing.add("root");
    }
    for (String tool : List.of("ip", "nft", "nsenter", "haproxy")) {
      if (!onPath(tool)) {
        missing.add(tool);
      }
    }
    try (var dirs = Files.list(Path.of("/usr/lib/postgresql"))) {
      if (dirs.noneMatch(d -> Files.isExecutable(d.resolve("bin/postgres")))) {
        missing.add("PostgreSQL server binaries");
      }
    } catch (java.io.IOException e) {
      missing.add("PostgreSQL server binaries");
    }
    if (!Injector.canFreeze()) {
      missing.add("a writable cgroup freezer at /sys/fs/cgroup/freezer");
    }
    return missing;
  }

  private static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
      if (Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/sbin", tool));
  }
}

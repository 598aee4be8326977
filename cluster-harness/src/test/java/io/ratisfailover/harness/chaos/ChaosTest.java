package io.ratisfailover.harness.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seeded chaos run ({@link ChaosRun}) with real PostgreSQL, sidecar and witness processes and
 * HAProxy, each in its own network namespace: about four minutes of faults by default, longer with
 * {@code -Dchaos.duration=PT30M}, one schedule again with {@code -Dchaos.seed=N}. A server still
 * accepting writes longer than ttl - lease_margin after its agent was killed or frozen fails the run
 * ({@code -Dchaos.requireW1=false} only prints it, to look at other failures).
 */
@Tag("chaos")
class ChaosTest {
  /** Asynchronous mode, 22 faults: agent, host and postmaster kills, freezes, cut-offs, slow, lossy and blocked links. */
  private static final long CI_SEED = 863937;

  @TempDir
  Path dir;

  @Test
  void safetyHoldsThroughASeededScheduleOfFaults() throws Exception {
    Prerequisites.require();
    // CI replays one schedule that passed, so that its verdict does not depend on the draw; fresh seeds
    // are explored with ./run-benchmark --suite chaos, and every failing one is a bug to fix.
    long seed = Long.getLong("chaos.seed", CI_SEED);
    Duration duration = Duration.parse(System.getProperty("chaos.duration", "PT4M"));
    // The postmaster guard stops a killed or frozen agent's server within ttl - lease_margin: W1 is required.
    boolean requireW1 = Boolean.parseBoolean(System.getProperty("chaos.requireW1", "true"));
    int exit = ChaosRun.run(seed, duration, dir.resolve("chaos"), requireW1);
    if (exit != 0) {
      keepLogs(dir.resolve("chaos").resolve("logs"), Path.of("target", "chaos-logs-" + seed));
    }
    assertThat(exit).as("chaos run with seed %d and duration %s (its output above names every violation)", seed, duration)
        .isZero();
  }

  /**
   * The Raft leader's port drops every connection for 75 s while its own connections work: its
   * appends keep the followers from electing another leader and no report reaches it. The cluster
   * must serve writes again while that lasts (the leader hands Raft leadership over).
   */
  @Test
  void aRaftLeaderThatNobodyReachesHandsLeadershipOver() throws Exception {
    Prerequisites.require();
    int exit = ChaosRun.runFixed(CI_SEED, "RAFT_INBOUND_BLOCKED leader 75", dir.resolve("deaf"), true);
    if (exit != 0) {
      keepLogs(dir.resolve("deaf").resolve("logs"), Path.of("target", "chaos-logs-deaf-leader"));
    }
    assertThat(exit).as("chaos run with the Raft leader's port blocked (its output above names every violation)").isZero();
  }

  /**
   * Planned switchovers back and forth, one of them to a standby whose agent was just killed and
   * started again: each drains (HAProxy's hold-off is 2 s here, so a drain of 667 ms), stops and hands
   * over, and HAProxy never lists two servers UP, no two servers take writes, and no acknowledged
   * write is lost (synchronous mode: seed 527047 draws it).
   */
  @Test
  void switchoversDrainAndHandOverUnderTheChecks() throws Exception {
    Prerequisites.require();
    int exit = ChaosRun.runFixed(527047, "FREEZE_AGENT w1 2; SWITCHOVER primary 1; SWITCHOVER standby 1; "
        + "KILL_AGENT standby 3; SWITCHOVER standby 1; SWITCHOVER primary 1; SWITCHOVER primary 1", dir.resolve("switchover"), true);
    if (exit != 0) {
      keepLogs(dir.resolve("switchover").resolve("logs"), Path.of("target", "chaos-logs-switchover"));
    }
    assertThat(exit).as("chaos run of switchovers (its output above names every violation)").isZero();
    Properties result = new Properties();
    try (Reader in = Files.newBufferedReader(dir.resolve("switchover").resolve(ChaosRun.RESULT))) {
      result.load(in);
    }
    assertThat(result.getProperty("switchoversDone")).as("switchovers done").isEqualTo("5");
  }

  /** The temporary directory goes with the test: a failed run's logs are copied where they stay. */
  private static void keepLogs(Path logs, Path kept) throws IOException {
    Files.createDirectories(kept);
    try (Stream<Path> files = Files.list(logs)) {
      for (Path f : files.toList()) {
        Files.copy(f, kept.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    System.out.println("the chaos run's logs are kept in " + kept.toAbsolutePath());
  }
}

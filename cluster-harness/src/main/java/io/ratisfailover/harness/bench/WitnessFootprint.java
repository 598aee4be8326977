package io.ratisfailover.harness.bench;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.RaftLeaderPreference;
import io.ratisfailover.Timing;
import io.ratisfailover.testing.ChildProcesses;
import io.ratisfailover.testing.LocalCluster;
import io.ratisfailover.testing.Ports;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * The witness as an operator runs it: its distribution's launcher (with the launcher's small-heap
 * defaults) in a process of its own, joining two running data members (in this JVM, in-memory
 * databases). Measures the time from the process start until its API answers and until
 * {@code /readiness} answers 200, the CPU time it took to get there, and the resident set size once
 * it has run for a while. The class-data archive is built first, as the container image does and
 * as the launcher does in the background at an installation's first start.
 */
final class WitnessFootprint implements Scenario {
  private static final Duration PATIENCE = Duration.ofSeconds(30);
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);

  private final Timing timing;
  private final Path launcher;
  private final Duration settle;
  private final RaftLeaderPreference leaderPreference;
  private boolean archiveBuilt;

  /**
   * @param leaderPreference {@code WITNESS} makes the witness the preferred Raft leader, so that
   *     more runs measure it arbitrating, the larger of its two footprints (it still joins a cluster
   *     that has a leader, and took over in 2 runs of 5); {@code STANDBY}: as in most clusters
   */
  WitnessFootprint(Timing timing, Path launcher, Duration settle, RaftLeaderPreference leaderPreference) {
    this.timing = timing;
    this.launcher = launcher;
    this.settle = settle;
    this.leaderPreference = leaderPreference;
  }

  /** The launcher of the distribution the build leaves in {@code witness-node/target}. */
  static WitnessFootprint fromBuild(Timing timing) {
    Path home = Path.of(System.getProperty("rf.witness.home", "witness-node/target/ratis-failover-witness"));
    Duration settle = Duration.ofSeconds(Long.getLong("rf.witness.settle", 20));
    RaftLeaderPreference preference = RaftLeaderPreference.valueOf(
        System.getProperty("rf.witness.leader-preference", "standby").toUpperCase(Locale.ROOT));
    return new WitnessFootprint(timing, home.resolve("bin/ratis-failover-witness"), settle, preference);
  }

  @Override public String name() { return "witness-footprint"; }

  @Override public String description() {
    return "the witness distribution's launcher (class-data archive built first) joins two running data members: start until its API"
        + " answers and until /readiness is 200, CPU seconds until then, resident memory after " + settle.toSeconds() + " s, and"
        + " whether it became the Raft leader (1)";
  }

  @Override public Map<String, Double> run(Path dir) throws Exception {
    if (!Files.isExecutable(launcher)) {
      throw new IOException("no witness launcher at " + launcher.toAbsolutePath() + ": build with mvn -pl cluster-harness -am package");
    }
    if (!archiveBuilt) {
      buildClassArchive(launcher, dir);
      archiveBuilt = true;
    }
    LocalCluster cluster = new LocalCluster("footprint", dir, timing, ClusterSettings.DEFAULT,
        Map.of("pg1", MemberKind.DATA, "pg2", MemberKind.DATA, "w1", MemberKind.WITNESS));
    try (cluster) {
      cluster.start("pg1", b -> b.raftLeaderPreference(leaderPreference));
      cluster.start("pg2", b -> b.raftLeaderPreference(leaderPreference));
      awaitServing(cluster);
      // Let the members' start-up work (elections, compilation) settle: the witness joins a running cluster.
      LockSupport.parkNanos(Duration.ofSeconds(3).toNanos());
      int apiPort = Ports.free(1)[0];
      Path config = writeConfig(dir, cluster.peers(), apiPort, leaderPreference);
      Process witness = new ProcessBuilder(launcher.toString(), "--config", config.toString())
          .redirectErrorStream(true).redirectOutput(dir.resolve("witness.log").toFile()).start();
      try {
        long started = System.nanoTime();
        await(witness, apiPort, "liveness");
        double apiMs = (System.nanoTime() - started) / 1e6;
        double cpuMs = cpuMillis(witness.pid());
        await(witness, apiPort, "readiness");
        double readyMs = (System.nanoTime() - started) / 1e6;
        LockSupport.parkNanos(settle.toNanos());
        if (!witness.isAlive()) {
          throw new IOException("the witness exited with " + witness.exitValue() + "; see " + dir.resolve("witness.log"));
        }
        return Map.of("api_ms", Math.rint(apiMs), "api_cpu_ms", cpuMs, "ready_ms", Math.rint(readyMs),
            "rss_mb", residentMegabytes(witness.pid()), "raft_leader", wasRaftLeader(dir.resolve("witness.log")) ? 1.0 : 0.0);
      } finally {
        stop(witness);
      }
    }
  }

  private static Path writeConfig(Path dir, List<Peer> peers, int apiPort, RaftLeaderPreference preference)
      throws IOException {
    String peerLines = peers.stream()
        .map(p -> "      - {id: " + p.id() + ", kind: " + (p.kind() == MemberKind.DATA ? "data" : "witness")
            + ", raft: " + p.raftAddress() + "}")
        .collect(Collectors.joining("\n"));
    return Files.writeString(dir.resolve("w1.yml"), "member: w1\nstorage: " + dir.resolve("w1")
        + "\nraft: {insecure: true, leader_preference: " + preference.name().toLowerCase(Locale.ROOT) + "}\n"
        + "clusters:\n  - name: footprint\n    api_listen: 127.0.0.1:" + apiPort + "\n    peers:\n" + peerLines + "\n");
  }

  private static void awaitServing(LocalCluster cluster) throws TimeoutException {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (cluster.servingPrimary().isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("the two data members did not elect a primary within " + PATIENCE);
      }
      LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
    }
  }

  /** Runs {@code --build-class-archive}: what the container image does once, and the launcher at a first start. */
  static void buildClassArchive(Path launcher, Path dir) throws Exception {
    if (!Files.isExecutable(launcher)) {
      throw new IOException("no witness launcher at " + launcher.toAbsolutePath() + ": build with mvn -pl cluster-harness -am package");
    }
    Process build = new ProcessBuilder(launcher.toString(), "--build-class-archive")
        .redirectErrorStream(true).redirectOutput(dir.resolve("class-archive.log").toFile()).start();
    try {
      if (!build.waitFor(PATIENCE.toSeconds() * 4, TimeUnit.SECONDS) || build.exitValue() != 0) {
        throw new IOException("the launcher could not build its class-data archive; see " + dir.resolve("class-archive.log"));
      }
    } finally {
      stop(build);
    }
  }

  /** Polls the API path until it answers 200: {@code liveness} as soon as the API listens, {@code readiness} once joined. */
  private static void await(Process witness, int apiPort, String path) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + "/" + path))
        .timeout(Duration.ofMillis(500)).GET().build();
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (System.nanoTime() < deadline) {
      if (!witness.isAlive()) {
        throw new IOException("the witness exited with " + witness.exitValue() + " before /" + path + " answered");
      }
      try {
        if (http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notListeningYet) {
        // keep polling
      }
      LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
    }
    throw new TimeoutException("the witness's /" + path + " did not answer 200 within " + PATIENCE);
  }

  /**
   * Whether the witness became its cluster's Raft leader (it arbitrates then: log appenders, more
   * threads and classes, some 6 MB more resident memory), as it does in some runs when it joins.
   */
  private static boolean wasRaftLeader(Path log) throws IOException {
    return Files.readString(log).contains("now the Raft leader");
  }

  /** User and system CPU time of the process so far (/proc, clock ticks of 10 ms): start cost without the machine's load. */
  static double cpuMillis(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10.0;
  }

  /** VmRSS from /proc: what the process really holds in memory, heap and everything else. */
  static double residentMegabytes(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
        return Math.rint(kb / 102.4) / 10;
      }
    }
    throw new IOException("no VmRSS in /proc/" + pid + "/status");
  }

  private static void stop(Process p) {
    ChildProcesses.stop(p.toHandle(), STOP_GRACE);
  }
}

package io.ratisfailover.harness.bench;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.Timing;
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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * The witness as an operator runs it: its distribution's launcher (with the launcher's small-heap
 * defaults) in a process of its own, joining two running data members (in this JVM, in-memory
 * databases). Measures the time from the process start until {@code /readiness} answers 200 and the
 * resident set size once it has run for a while.
 */
final class WitnessFootprint implements Scenario {
  private static final Duration PATIENCE = Duration.ofSeconds(30);

  private final Timing timing;
  private final Path launcher;
  private final Duration settle;

  WitnessFootprint(Timing timing, Path launcher, Duration settle) {
    this.timing = timing;
    this.launcher = launcher;
    this.settle = settle;
  }

  /** The launcher of the distribution the build leaves in {@code witness-node/target}. */
  static WitnessFootprint fromBuild(Timing timing) {
    Path home = Path.of(System.getProperty("rf.witness.home", "witness-node/target/ratis-failover-witness"));
    return new WitnessFootprint(timing, home.resolve("bin/ratis-failover-witness"), Duration.ofSeconds(20));
  }

  @Override public String name() { return "witness-footprint"; }

  @Override public String description() {
    return "the witness distribution's launcher (class-data archive written by the first run) joins two running data members: start until /readiness is 200, "
        + "and resident memory after " + settle.toSeconds() + " s";
  }

  @Override public Map<String, Double> run(Path dir) throws Exception {
    if (!Files.isExecutable(launcher)) {
      throw new IOException("no witness launcher at " + launcher.toAbsolutePath() + ": build with mvn -pl cluster-harness -am package");
    }
    LocalCluster cluster = new LocalCluster("footprint", dir, timing, ClusterSettings.DEFAULT,
        Map.of("pg1", MemberKind.DATA, "pg2", MemberKind.DATA, "w1", MemberKind.WITNESS));
    try (cluster) {
      cluster.start("pg1");
      cluster.start("pg2");
      awaitServing(cluster);
      // Let the members' start-up work (elections, compilation) settle: the witness joins a running cluster.
      LockSupport.parkNanos(Duration.ofSeconds(3).toNanos());
      int apiPort = Ports.free(1)[0];
      Path config = writeConfig(dir, cluster.peers(), apiPort);
      Process witness = new ProcessBuilder(launcher.toString(), "--config", config.toString())
          .redirectErrorStream(true).redirectOutput(dir.resolve("witness.log").toFile()).start();
      try {
        long started = System.nanoTime();
        awaitReady(witness, apiPort);
        double readyMs = (System.nanoTime() - started) / 1e6;
        LockSupport.parkNanos(settle.toNanos());
        if (!witness.isAlive()) {
          throw new IOException("the witness exited with " + witness.exitValue() + "; see " + dir.resolve("witness.log"));
        }
        return Map.of("ready_ms", Math.rint(readyMs), "rss_mb", residentMegabytes(witness.pid()));
      } finally {
        stop(witness);
      }
    }
  }

  private static Path writeConfig(Path dir, List<Peer> peers, int apiPort) throws IOException {
    String peerLines = peers.stream()
        .map(p -> "      - {id: " + p.id() + ", kind: " + (p.kind() == MemberKind.DATA ? "data" : "witness")
            + ", raft: " + p.raftAddress() + "}")
        .collect(Collectors.joining("\n"));
    return Files.writeString(dir.resolve("w1.yml"), "member: w1\nstorage: " + dir.resolve("w1") + "\n"
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

  private static void awaitReady(Process witness, int apiPort) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();
    HttpRequest readiness = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + "/readiness"))
        .timeout(Duration.ofMillis(500)).GET().build();
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (System.nanoTime() < deadline) {
      if (!witness.isAlive()) {
        throw new IOException("the witness exited with " + witness.exitValue() + " before it was ready");
      }
      try {
        if (http.send(readiness, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notListeningYet) {
        // keep polling
      }
      LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
    }
    throw new TimeoutException("the witness was not ready within " + PATIENCE);
  }

  /** VmRSS from /proc: what the process really holds in memory, heap and everything else. */
  private static double residentMegabytes(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
        return Math.rint(kb / 102.4) / 10;
      }
    }
    throw new IOException("no VmRSS in /proc/" + pid + "/status");
  }

  private static void stop(Process p) throws InterruptedException {
    p.destroy();
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}

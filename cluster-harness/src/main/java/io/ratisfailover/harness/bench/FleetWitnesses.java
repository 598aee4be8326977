package io.ratisfailover.harness.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ratisfailover.testing.ChildProcesses;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * The {@link FleetBenchmark}'s shared witness processes, each run by the witness distribution's
 * launcher from a configuration file of its own: which clusters each serves (cluster {@code i} on
 * witness {@code i mod 3}), starting each on its first cluster only, adding the others by rewriting
 * the file and a reload on SIGHUP, measuring their memory and CPU, waiting until they report every
 * cluster healthy, and stopping them.
 */
final class FleetWitnesses {
  static final int WITNESSES = 3;
  private static final Duration WINDOW = Duration.ofSeconds(Long.getLong("rf.fleet.window", 30));

  /** A witness process, the clusters it serves, its API port. */
  record Witness(String id, int raftPort, int apiPort, List<String> clusters, Path config, Process process) {}

  private final int clusters;
  private final int jvms;
  private final String preference;
  private final Path work;
  private final Path launcher;
  private final Duration patience;
  // Read by the shutdown hook's stop() too.
  private final List<Witness> witnesses = new CopyOnWriteArrayList<>();
  private int[] ports;

  /** @param patience how long a witness may take to serve all its clusters */
  FleetWitnesses(int clusters, int jvms, String preference, Path work, Path launcher, Duration patience) {
    this.clusters = clusters;
    this.jvms = jvms;
    this.preference = preference;
    this.work = work;
    this.launcher = launcher;
    this.patience = patience;
  }

  /**
   * Starts the witnesses, each serving its first cluster only: the baseline.
   *
   * @param ports each witness's Raft and API port, then each data-member process's two Raft ports
   */
  void start(int[] ports) throws IOException {
    this.ports = ports;
    for (int w = 0; w < WITNESSES; w++) {
      List<String> served = new ArrayList<>();
      for (int i = w; i < clusters; i += WITNESSES) {
        served.add(FleetBenchmark.clusterName(i));
      }
      if (!served.isEmpty()) {
        witnesses.add(new Witness("w" + w, ports[2 * w], ports[2 * w + 1], served, work.resolve("w" + w + ".yml"), null));
      }
    }
    // The baseline: each witness serves its first cluster only.
    for (int w = 0; w < witnesses.size(); w++) {
      Witness spec = witnesses.get(w);
      writeConfig(spec, 1);
      Process p = new ProcessBuilder(launcher.toString(), "--config", spec.config().toString()).redirectErrorStream(true)
          .redirectOutput(work.resolve(spec.id() + ".log").toFile()).start();
      witnesses.set(w, new Witness(spec.id(), spec.raftPort(), spec.apiPort(), spec.clusters(), spec.config(), p));
    }
  }

  /** The launcher's class-data archive, built as an installation builds it at its first start. */
  void buildClassArchive() throws Exception {
    WitnessFootprint.buildClassArchive(launcher, work);
  }

  /** Every witness, in order: {@code w0} serves clusters 0, 3, 6 and so on. */
  List<Witness> all() {
    return List.copyOf(witnesses);
  }

  /** Rewrites every witness's file with all its clusters and has it reload the file (SIGHUP). */
  void serveAll() throws IOException {
    for (Witness w : witnesses) {
      writeConfig(w, w.clusters().size());
      ChildProcesses.run(List.of("kill", "-HUP", Long.toString(w.process().pid())), work, Duration.ofSeconds(10));
    }
  }

  private void writeConfig(Witness w, int count) throws IOException {
    StringBuilder yaml = new StringBuilder("member: " + w.id() + "\nstorage: " + work.resolve(w.id()) + "\n"
        + "raft: {address: '127.0.0.1:" + w.raftPort() + "', insecure: true, leader_preference: " + preference + "}\n"
        + "api_listen: '127.0.0.1:" + w.apiPort() + "'\nclusters:\n");
    for (String name : w.clusters().subList(0, count)) {
      int j = FleetBenchmark.indexOf(name) % jvms;
      yaml.append("  - name: ").append(name).append("\n    peers:\n")
          .append("      - {id: d").append(j).append("a, kind: data, raft: '127.0.0.1:").append(ports[2 * WITNESSES + 2 * j]).append("'}\n")
          .append("      - {id: d").append(j).append("b, kind: data, raft: '127.0.0.1:").append(ports[2 * WITNESSES + 2 * j + 1]).append("'}\n")
          .append("      - {id: ").append(w.id()).append(", kind: witness, raft: '127.0.0.1:").append(w.raftPort()).append("'}\n");
    }
    Path tmp = w.config().resolveSibling(w.config().getFileName() + ".tmp");
    Files.writeString(tmp, yaml);
    Files.move(tmp, w.config(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Resident MB and CPU percent of one core over {@link #WINDOW}, per witness, measured side by side. */
  List<double[]> measure() throws IOException {
    double[] cpuBefore = new double[witnesses.size()];
    for (int w = 0; w < witnesses.size(); w++) {
      cpuBefore[w] = WitnessFootprint.cpuMillis(witnesses.get(w).process().pid());
    }
    long start = System.nanoTime();
    LockSupport.parkNanos(WINDOW.toNanos());
    double seconds = (System.nanoTime() - start) / 1e9;
    List<double[]> figures = new ArrayList<>();
    for (int w = 0; w < witnesses.size(); w++) {
      long pid = witnesses.get(w).process().pid();
      double cpuPercent = (WitnessFootprint.cpuMillis(pid) - cpuBefore[w]) / 1000.0 / seconds * 100;
      figures.add(new double[] {WitnessFootprint.residentMegabytes(pid), cpuPercent});
    }
    return figures;
  }

  /** Until each witness's clusters port lists all its clusters as healthy. */
  void awaitHealthy() throws Exception {
    for (Witness w : witnesses) {
      awaitHealthy(w);
    }
  }

  /** Until the witness's clusters port lists all its clusters as healthy (every member reporting). */
  private void awaitHealthy(Witness w) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + w.apiPort() + "/clusters"))
        .timeout(Duration.ofSeconds(10)).GET().build();
    ObjectMapper json = new ObjectMapper();
    long deadline = System.nanoTime() + patience.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      try {
        JsonNode list = json.readTree(http.send(request, HttpResponse.BodyHandlers.ofString()).body());
        long healthy = 0;
        for (JsonNode c : list) {
          healthy += c.path("health").asText().equals("healthy") ? 1 : 0;
        }
        last = healthy + " of " + list.size() + " healthy";
        if (list.size() == w.clusters().size() && healthy == list.size()) {
          return;
        }
      } catch (IOException e) {
        last = e.toString();
      }
      LockSupport.parkNanos(Duration.ofMillis(500).toNanos());
    }
    throw new TimeoutException("witness " + w.id() + " did not serve its " + w.clusters().size() + " clusters within "
        + patience + ": " + last);
  }

  /** Each witness process, by its own handle. */
  void stop() {
    for (Witness w : witnesses) {
      if (w.process() != null) {
        // A frozen witness (an interrupted freeze) ignores SIGTERM until it is continued.
        try {
          ChildProcesses.run(List.of("kill", "-CONT", Long.toString(w.process().pid())), work, Duration.ofSeconds(10));
        } catch (RuntimeException e) {
          // gone already
        }
        ChildProcesses.stop(w.process().toHandle(), Duration.ofSeconds(10));
      }
    }
  }
}

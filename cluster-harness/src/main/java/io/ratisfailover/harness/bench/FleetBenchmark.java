package io.ratisfailover.harness.bench;

import io.ratisfailover.harness.bench.FleetWitnesses.Witness;
import io.ratisfailover.testing.ChildProcesses;
import io.ratisfailover.testing.Ports;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code ./run-benchmark --suite fleet N}: N clusters sharing three witness processes (the witness
 * distribution's launcher, every cluster of one witness on its shared Raft port), each cluster two
 * data members with in-memory databases, run by a few {@link FleetMembers} processes; cluster
 * {@code i} uses witness {@code i mod 3}. Measures, per witness, resident memory and CPU per cluster
 * (serving all its clusters minus serving its first one only, divided by the clusters added, which
 * it adds by a reload on SIGHUP), Raft entries applied per second over the fleet, what freezing one
 * witness for 5 s (SIGSTOP, SIGCONT) does to every cluster (primaries changed: false failovers; Raft
 * terms changed: elections), and the failover time of single clusters while the others run.
 *
 * <p>Arguments: {@code N work-dir json-file [--jvms K] [--leader-preference standby|witness]}.
 */
public final class FleetBenchmark {
  private static final int WITNESSES = FleetWitnesses.WITNESSES;
  private static final Duration PATIENCE = Duration.ofMinutes(5);
  private static final Duration SETTLE = Duration.ofSeconds(Long.getLong("rf.fleet.settle", 20));
  private static final Duration FREEZE = Duration.ofSeconds(5);
  private static final int FAILOVERS = 3;

  private final int clusters;
  private final int jvms;
  private final String preference;
  private final Path work;
  private final FleetWitnesses witnesses;
  private final List<DataJvm> dataJvms = new java.util.concurrent.CopyOnWriteArrayList<>();
  private boolean stopped;

  /** One cluster's state as its data members see it. */
  record ClusterStatus(String primary, long epoch, long term, String leader, long applied) {}

  /** A data-member process and its command channel. */
  private record DataJvm(Process process, PrintStream commands, BufferedReader answers) {
    /** The next answer line (the process logs to stderr). */
    String answer() throws IOException {
      String line = answers.readLine();
      if (line == null) {
        throw new IOException("data-member process " + process.pid() + " ended");
      }
      return line;
    }
  }

  FleetBenchmark(int clusters, int jvms, String preference, Path work, Path launcher) {
    this.clusters = clusters;
    this.jvms = Math.min(jvms, clusters);
    this.preference = preference;
    this.work = work;
    this.witnesses = new FleetWitnesses(clusters, this.jvms, preference, work, launcher, PATIENCE);
  }

  public static void main(String[] args) throws Exception {
    int n = Integer.parseInt(args[0]);
    Path work = Path.of(args[1]);
    Path json = Path.of(args[2]);
    int jvms = 2;
    String preference = "standby";
    for (int i = 3; i < args.length - 1; i += 2) {
      switch (args[i]) {
        case "--jvms" -> jvms = Integer.parseInt(args[i + 1]);
        case "--leader-preference" -> preference = args[i + 1];
        default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--jvms K, --leader-preference standby|witness)");
      }
    }
    if (n < 1 || !List.of("standby", "witness").contains(preference)) {
      throw new IllegalArgumentException("N must be at least 1, --leader-preference standby or witness");
    }
    Path home = Path.of(System.getProperty("rf.witness.home", "witness-node/target/ratis-failover-witness"));
    io.ratisfailover.harness.Directories.deleteTree(work);
    Files.createDirectories(work);
    FleetBenchmark bench = new FleetBenchmark(n, jvms, preference, work, home.resolve("bin/ratis-failover-witness"));
    // Also when the benchmark itself is stopped (SIGTERM, Ctrl-C): no witness or data process outlives it.
    Thread stopper = new Thread(bench::stop, "fleet-stop");
    Runtime.getRuntime().addShutdownHook(stopper);
    Map<String, Double> figures;
    try {
      figures = bench.run();
    } finally {
      bench.stop();
      Runtime.getRuntime().removeShutdownHook(stopper);
    }
    Results results = new Results();
    String scenario = "fleet-" + n;
    results.describe(scenario, n + " clusters (2 in-memory data members each, in " + bench.jvms + " processes) sharing "
        + WITNESSES + " witness processes; leader preference " + preference);
    results.add(scenario, figures);
    System.out.println();
    System.out.println(results.markdown());
    Map<String, Object> environment = Results.environment(1);
    environment.put("leader_preference", preference);
    environment.put("load_average", Files.readString(Path.of("/proc/loadavg")).trim());
    results.writeJson(json, environment);
    System.out.println("\nJSON: " + json.toAbsolutePath());
  }

  static String clusterName(int i) {
    return String.format(Locale.ROOT, "c%03d", i);
  }

  private Map<String, Double> run() throws Exception {
    witnesses.buildClassArchive();
    int[] ports = Ports.free(2 * WITNESSES + 2 * jvms);
    witnesses.start(ports);
    for (int j = 0; j < jvms; j++) {
      dataJvms.add(startDataJvm(j, ports));
    }
    for (int j = 0; j < jvms; j++) {
      if (!dataJvms.get(j).answer().equals("STARTED")) {
        throw new IOException("data-member process " + j + " did not start; see " + work.resolve("d" + j + ".err"));
      }
    }
    long started = System.nanoTime();
    awaitEveryClusterServing(Math.min(WITNESSES, clusters));
    System.out.printf("the first cluster of each witness serves a primary after %d ms%n", (System.nanoTime() - started) / 1_000_000);

    Map<String, Double> out = new LinkedHashMap<>();
    out.put("clusters", (double) clusters);
    LockSupport.parkNanos(SETTLE.toNanos());
    // The baseline: every witness serves one cluster, and no other cluster exists yet, so that nothing
    // but the added clusters themselves differs between the two measurements.
    List<double[]> baseline = witnesses.measure();
    witnesses.serveAll();
    started = System.nanoTime();
    for (DataJvm jvm : dataJvms) {
      jvm.commands().println("start-later");
    }
    for (DataJvm jvm : dataJvms) {
      String answer = jvm.answer();
      if (!answer.startsWith("STARTED ")) {
        throw new IOException("a data-member process answered '" + answer + "' to start-later");
      }
    }
    awaitEveryClusterServing(clusters);
    System.out.printf("every cluster serves a primary %d ms after the reload%n", (System.nanoTime() - started) / 1_000_000);
    witnesses.awaitHealthy();
    System.out.println("every witness serves all its clusters");
    LockSupport.parkNanos(SETTLE.toNanos());
    long appliedBefore = appliedSum();
    long windowStart = System.nanoTime();
    List<double[]> full = witnesses.measure();
    double appendsPerSecond = (appliedSum() - appliedBefore) / ((System.nanoTime() - windowStart) / 1e9);
    double rssPerCluster = 0;
    double cpuPerCluster = 0;
    int added = 0;
    List<Witness> fleet = witnesses.all();
    for (int w = 0; w < fleet.size(); w++) {
      int n = fleet.get(w).clusters().size();
      out.put(fleet.get(w).id() + "_clusters", (double) n);
      out.put(fleet.get(w).id() + "_rss_mb", round(full.get(w)[0]));
      out.put(fleet.get(w).id() + "_cpu_percent", round(full.get(w)[1]));
      out.put(fleet.get(w).id() + "_baseline_rss_mb", round(baseline.get(w)[0]));
      out.put(fleet.get(w).id() + "_baseline_cpu_percent", round(baseline.get(w)[1]));
      rssPerCluster += full.get(w)[0] - baseline.get(w)[0];
      cpuPerCluster += full.get(w)[1] - baseline.get(w)[1];
      added += n - 1;
    }
    if (added > 0) {
      out.put("witness_rss_mb_per_added_cluster", round(rssPerCluster / added));
      out.put("witness_cpu_percent_per_added_cluster", Math.rint(cpuPerCluster / added * 1000) / 1000);
    }
    out.put("raft_entries_applied_per_s", round(appendsPerSecond));

    freezeOneWitness(out);
    List<Double> failovers = new ArrayList<>();
    for (int k = 0; k < Math.min(FAILOVERS, clusters); k++) {
      // Clusters of the witness that was not frozen when there is one, settled again since the freeze.
      String name = clusterName(clusters - 1 - k);
      failovers.add((double) failover(name));
    }
    failovers.sort(null);
    out.put("failover_ms_median", failovers.get(failovers.size() / 2));
    out.put("failover_ms_worst", failovers.get(failovers.size() - 1));
    return out;
  }

  /** SIGSTOP of witness w0 for 5 s, then 15 s to settle; what changed in every cluster. */
  private void freezeOneWitness(Map<String, Double> out) throws Exception {
    Witness frozen = witnesses.all().get(0);
    Map<String, ClusterStatus> before = status();
    long pid = frozen.process().pid();
    ChildProcesses.run(List.of("kill", "-STOP", Long.toString(pid)), work, Duration.ofSeconds(10));
    try {
      LockSupport.parkNanos(FREEZE.toNanos());
    } finally {
      ChildProcesses.run(List.of("kill", "-CONT", Long.toString(pid)), work, Duration.ofSeconds(10));
    }
    LockSupport.parkNanos(Duration.ofSeconds(15).toNanos());
    Map<String, ClusterStatus> after = status();
    int primaryChanged = 0;
    int termChangedOfFrozen = 0;
    int termChangedOthers = 0;
    int ledByFrozen = 0;
    for (Map.Entry<String, ClusterStatus> e : before.entrySet()) {
      ClusterStatus a = after.get(e.getKey());
      ClusterStatus b = e.getValue();
      boolean ofFrozen = frozen.clusters().contains(e.getKey());
      if (b.leader().equals(frozen.id())) {
        ledByFrozen++;
      }
      if (a.epoch() != b.epoch() || !a.primary().equals(b.primary())) {
        primaryChanged++;
      }
      if (a.term() != b.term()) {
        if (ofFrozen) {
          termChangedOfFrozen++;
        } else {
          termChangedOthers++;
        }
      }
    }
    out.put("freeze_clusters_of_frozen_witness", (double) frozen.clusters().size());
    out.put("freeze_clusters_led_by_frozen_witness", (double) ledByFrozen);
    out.put("freeze_false_failovers", (double) primaryChanged);
    out.put("freeze_raft_elections_clusters_of_frozen_witness", (double) termChangedOfFrozen);
    out.put("freeze_raft_elections_other_clusters", (double) termChangedOthers);
  }

  private long failover(String name) throws IOException {
    DataJvm jvm = dataJvms.get(indexOf(name) % jvms);
    jvm.commands().println("fail " + name);
    String answer = jvm.answer();
    long ms = Long.parseLong(answer.split(" ")[2]);
    System.out.printf("failover of %s: %d ms%n", name, ms);
    return ms;
  }

  static int indexOf(String name) {
    return Integer.parseInt(name.substring(1));
  }

  private DataJvm startDataJvm(int j, int[] ports) throws IOException {
    StringBuilder plan = new StringBuilder("storage " + work.resolve("d" + j) + "\npreference " + preference + "\n"
        + "host d" + j + "a " + ports[2 * WITNESSES + 2 * j] + "\nhost d" + j + "b " + ports[2 * WITNESSES + 2 * j + 1] + "\n");
    for (int i = j; i < clusters; i += jvms) {
      Witness w = witnesses.all().get(i % WITNESSES);
      plan.append("cluster ").append(clusterName(i)).append(' ').append(w.id()).append(" 127.0.0.1:").append(w.raftPort())
          .append(i < WITNESSES ? " first" : " later").append('\n');
    }
    Path file = Files.writeString(work.resolve("d" + j + ".plan"), plan);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-Xmx" + Math.max(256, 8 * clusters / jvms + 128) + "m",
        "-Dlogback.configurationFile=logback-quiet.xml", "-cp", System.getProperty("java.class.path"),
        FleetMembers.class.getName(), file.toString())
        .redirectError(work.resolve("d" + j + ".err").toFile()).start();
    return new DataJvm(p, new PrintStream(p.getOutputStream(), true, StandardCharsets.UTF_8),
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)));
  }

  private Map<String, ClusterStatus> status() throws IOException {
    Map<String, ClusterStatus> all = new LinkedHashMap<>();
    for (DataJvm jvm : dataJvms) {
      jvm.commands().println("status");
      for (String line = jvm.answer(); !line.equals("END"); line = jvm.answer()) {
        String[] f = line.split(" ");
        all.put(f[1], new ClusterStatus(f[2], Long.parseLong(f[3]), Long.parseLong(f[4]), f[5], Long.parseLong(f[6])));
      }
    }
    return all;
  }

  private long appliedSum() throws IOException {
    return status().values().stream().mapToLong(ClusterStatus::applied).sum();
  }

  /** Until as many clusters as have been started, {@code expected}, each have a serving primary. */
  private void awaitEveryClusterServing(int expected) throws Exception {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    long serving = 0;
    Map<String, ClusterStatus> last = Map.of();
    while (System.nanoTime() < deadline) {
      last = status();
      serving = last.values().stream().filter(s -> !s.primary().equals("-")).count();
      if (last.size() == expected && serving == expected) {
        return;
      }
      LockSupport.parkNanos(Duration.ofMillis(500).toNanos());
    }
    throw new TimeoutException("only " + serving + " of " + expected + " clusters served a primary within " + PATIENCE
        + "; without one: " + last.entrySet().stream().filter(e -> e.getValue().primary().equals("-")).map(Map.Entry::getKey).limit(20).toList());
  }

  /** Every process this benchmark started, by its own handle; once. */
  private synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    for (DataJvm jvm : dataJvms) {
      jvm.commands().println("quit");
    }
    for (DataJvm jvm : dataJvms) {
      ChildProcesses.stop(jvm.process().toHandle(), Duration.ofSeconds(20));
    }
    witnesses.stop();
  }

  private static double round(double v) {
    return Math.rint(v * 10) / 10;
  }
}

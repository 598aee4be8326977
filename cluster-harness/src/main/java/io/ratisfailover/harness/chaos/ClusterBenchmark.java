package io.ratisfailover.harness.chaos;

import io.ratisfailover.harness.Directories;
import io.ratisfailover.harness.bench.Results;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Failover as a client behind HAProxy sees it: the {@link ChaosCluster} (real PostgreSQL, sidecar and
 * witness processes, HAProxy, network namespaces), a writer inserting a row every 20 ms through
 * HAProxy, and for each mode (synchronous on, off) and scenario several runs against the serving
 * primary. Per run: the longest time without an acknowledged write, from the fault until writes flow
 * again through the new primary; per mode: acknowledged writes missing on the final primary.
 *
 * <p>HAProxy checks every 200 ms ({@code fall 2 rise 1}, {@code timeout connect 250ms}) and the members
 * hold {@code /primary} for {@code fall x inter} = 400 ms after a change, so that HAProxy never lists
 * two primaries.
 *
 * <p>Usage: {@code ClusterBenchmark RUNS WORK_DIR [JSON]}, as root; {@code ./run-benchmark --suite cluster}.
 */
public final class ClusterBenchmark {
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final Duration WRITE_EVERY = Duration.ofMillis(20);

  enum Scenario {
    WHOLE_MEMBER_CRASH(Fault.Kind.KILL_HOST, "kill -9 of the primary's agent and postmaster"),
    POSTGRES_CRASH(Fault.Kind.KILL_POSTGRES, "kill -9 of the primary's postmaster; its agent lives"),
    FROZEN_AGENT(Fault.Kind.FREEZE_AGENT, "the primary's agent frozen (SIGSTOP); PostgreSQL runs on"),
    FROZEN_POSTGRES(Fault.Kind.FREEZE_POSTGRES, "the primary's whole PostgreSQL frozen (cgroup freezer)"),
    PRIMARY_CUT_OFF(Fault.Kind.CUT_OFF, "every packet to and from the primary's host dropped"),
    SWITCHOVER(null, "POST /switchover to the primary");

    final Fault.Kind fault;
    final String description;

    Scenario(Fault.Kind fault, String description) {
      this.fault = fault;
      this.description = description;
    }

    String key() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  private final int runs;
  private final Path work;
  private final boolean raftTls;
  private final Results results = new Results();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

  private ClusterBenchmark(int runs, Path work, boolean raftTls) {
    this.runs = runs;
    this.work = work;
    this.raftTls = raftTls;
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--inside")) {
      System.exit(new ClusterBenchmark(Integer.parseInt(args[1]), Path.of(args[2]), Boolean.parseBoolean(args[4]))
          .inside(Path.of(args[3])));
    }
    // Mutual TLS on the Raft port unless RAFT_TLS=off: the measurement to compare against.
    boolean raftTls = !"off".equals(System.getenv("RAFT_TLS"));
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    Path work = Path.of(args.length > 1 ? args[1] : "target/benchmark/cluster-work").toAbsolutePath();
    Path json = Path.of(args.length > 2 ? args[2] : "target/benchmark/cluster.json").toAbsolutePath();
    // Every run starts from empty directories: a data directory of an earlier cluster would be refused.
    Directories.deleteTree(work);
    // About 20 s per run, twelve scenarios-and-modes, plus the clusters' start and stop.
    Duration timeout = Duration.ofSeconds(120 + 12L * runs * 60);
    System.exit(ChaosRun.inObserver(ClusterBenchmark.class, List.of(Integer.toString(runs), work.toString(),
        json.toString(), Boolean.toString(raftTls)), timeout, work));
  }

  private int inside(Path json) throws Exception {
    for (boolean synchronous : List.of(true, false)) {
      measureMode(synchronous);
    }
    System.out.println();
    System.out.println(results.markdown());
    Map<String, Object> environment = Results.environment(runs);
    environment.put("haproxy", "inter 200ms fall 2 rise 1, timeout connect 250ms, primary_hold_off 400ms");
    environment.put("raft_tls", raftTls ? "on" : "off");
    results.writeJson(json, environment);
    System.out.println("\nJSON: " + json);
    return 0;
  }

  private void measureMode(boolean synchronous) throws Exception {
    String mode = synchronous ? "sync" : "async";
    try (ChaosCluster cluster = new ChaosCluster(Network.attach(ChaosCluster.MEMBERS),
            work.resolve(mode), new ChaosCluster.Options(synchronous, "inter 200ms fall 2 rise 1", Duration.ofMillis(400),
            ChaosCluster.Links.DIRECT, "default", raftTls));
        Injector injector = new Injector(cluster)) {
      cluster.startAll();
      try (Observer observer = new Observer(cluster, System.nanoTime()).start();
          Writer writer = new Writer(cluster.jdbcThroughHaproxy(), ChaosCluster.PASSWORD, "chaos_writes", WRITE_EVERY)
              .start(Duration.ofSeconds(120))) {
        for (Scenario scenario : Scenario.values()) {
          String name = scenario.key() + " (" + mode + ")";
          results.describe(name, scenario.description + "; synchronous_mode " + (synchronous ? "on" : "off"));
          for (int i = 1; i <= runs; i++) {
            try {
              long ms = measureOnce(cluster, injector, observer, writer, scenario, synchronous);
              results.add(name, Map.of("write_unavailable_ms", (double) ms));
              System.out.printf(Locale.ROOT, "%s run %d/%d: writes unavailable %d ms%n", name, i, runs, ms);
            } catch (Exception e) {
              results.fail(name, "run " + i + ": " + e.getMessage());
              System.out.printf(Locale.ROOT, "%s run %d/%d failed: %s%n", name, i, runs, e);
            }
          }
        }
        writer.close();
        String primary = awaitSteady(cluster, observer, synchronous);
        List<Long> lost = writer.lostOn(cluster.jdbc(primary));
        results.describe("lost (" + mode + ")", "acknowledged writes missing on the final primary after every run of this mode");
        results.add("lost (" + mode + ")", Map.of("lost_acknowledged_writes", (double) lost.size(),
            "acknowledged_writes", (double) writer.acknowledged.size(), "unknown_outcome", (double) writer.unknown.size()));
        System.out.printf(Locale.ROOT, "%s: writer %s; %d acknowledged writes lost; observer: %s%n", mode, writer,
            lost.size(), observer.summary());
        observer.violations().forEach(v -> System.out.println("VIOLATION " + v));
      }
    }
  }

  /** One fault on the serving primary: the longest gap between acknowledged writes until writes flow again. */
  private long measureOnce(ChaosCluster cluster, Injector injector, Observer observer, Writer writer, Scenario scenario,
      boolean synchronous) throws Exception {
    String primary = awaitSteady(cluster, observer, synchronous);
    // A real fault strikes anywhere in the agent's cycle.
    LockSupport.parkNanos(Duration.ofMillis(ThreadLocalRandom.current().nextLong(500)).toNanos());
    long struck = System.nanoTime();
    if (scenario.fault == null) {
      switchover(cluster, primary);
    } else {
      injector.strike(scenario.fault, primary);
    }
    try {
      // Writes may go on for a while on the old primary (a frozen agent cannot stop them); what
      // counts is the first write after the new primary took over.
      await("a new primary", () -> observer.leaseHolder().filter(p -> !p.equals(primary)).isPresent());
      long taken = System.nanoTime();
      await("writes through the new primary", () -> writer.lastSuccessNanos() > taken);
    } finally {
      if (scenario.fault != null) {
        injector.heal(scenario.fault, primary);
      }
    }
    // The gap that contains the fault: from the last write acknowledged before it to the first after.
    return writer.longestGapSince(struck - WRITE_EVERY.toNanos() * 5, writer.lastSuccessNanos());
  }

  private void switchover(ChaosCluster cluster, String primary) throws IOException, InterruptedException {
    String auth = Base64.getEncoder().encodeToString(("admin:" + ChaosCluster.PASSWORD).getBytes(StandardCharsets.UTF_8));
    HttpRequest request = HttpRequest.newBuilder(URI.create(cluster.api(primary) + "/switchover"))
        .timeout(Duration.ofSeconds(30)).header("Authorization", "Basic " + auth)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"leader\": \"" + primary + "\"}")).build();
    HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("switchover refused: " + r.statusCode() + " " + r.body());
    }
  }

  /** A serving primary, every agent running, and the standby streaming (and synchronous in sync mode). */
  private String awaitSteady(ChaosCluster cluster, Observer observer, boolean synchronous) throws Exception {
    awaitSteadyOnce(cluster, observer, synchronous);
    // A standby that just came back may still be rewinding behind a momentary "streaming": look twice.
    LockSupport.parkNanos(Duration.ofSeconds(2).toNanos());
    return awaitSteadyOnce(cluster, observer, synchronous);
  }

  private String awaitSteadyOnce(ChaosCluster cluster, Observer observer, boolean synchronous) throws Exception {
    await("a steady cluster", () -> {
      if (observer.leaseHolder().isEmpty() || !cluster.isRunning("pg1") || !cluster.isRunning("pg2")
          || !cluster.isRunning("w1")) {
        return false;
      }
      String standby = observer.leaseHolder().get().equals("pg1") ? "pg2" : "pg1";
      return answers200(cluster.api(standby) + (synchronous ? "/sync" : "/replica"));
    });
    return observer.leaseHolder().orElseThrow();
  }

  private boolean answers200(String url) {
    try {
      HttpRequest r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMillis(500)).GET().build();
      return http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void await(String what, BooleanSupplier condition) throws TimeoutException {
    if (!Poll.until(condition, PATIENCE)) {
      throw new TimeoutException(what + " did not come within " + PATIENCE.toSeconds() + " s");
    }
  }
}

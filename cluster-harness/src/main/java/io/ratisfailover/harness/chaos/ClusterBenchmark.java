package io.ratisfailover.harness.chaos;

import io.ratisfailover.harness.Directories;
import io.ratisfailover.harness.bench.Results;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
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
 * <p>The router is one of {@link Router}: by default HAProxy checks every 200 ms ({@code fall 2 rise 1},
 * {@code timeout connect 250ms}) and the members hold {@code /primary} for {@code fall x inter} = 400 ms
 * after the previous primary went silent, so that HAProxy never lists two primaries.
 *
 * <p>Usage: {@code ClusterBenchmark RUNS WORK_DIR [JSON] [--router NAME] [--scenario a,b] [--mode sync|async]},
 * as root; {@code ./run-benchmark --suite cluster [RUNS] [options]}.
 */
public final class ClusterBenchmark {
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final Duration WRITE_EVERY = Duration.ofMillis(20);
  /** How long POST /switchover may take to answer (it answers once the new primary is promoted). */
  private static final Duration SWITCHOVER_ANSWER = Duration.ofSeconds(30);

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

  /** How HAProxy finds the primary: its check timing, the members' hold-off, and whether they push. */
  enum Router {
    BENCHMARK("inter 200ms fall 2 rise 1", Duration.ofMillis(400), false),
    /** Patroni's documented HAProxy configuration, as a Patroni user has it: no hold-off. */
    STOCK("inter 3s fall 3 rise 2", Duration.ZERO, false),
    /** The README's recommended configuration. */
    RECOMMENDED("inter 500ms fastinter 250ms downinter 100ms fall 2 rise 1", Duration.ofMillis(750), false),
    /** Patroni's configuration, the members pushing to HAProxy's admin socket. */
    STOCK_PUSH("inter 3s fall 3 rise 2", Duration.ZERO, true);

    final String checks;
    final Duration holdOff;
    final boolean push;

    Router(String checks, Duration holdOff, boolean push) {
      this.checks = checks;
      this.holdOff = holdOff;
      this.push = push;
    }

    String key() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    String describe() {
      return checks + ", timeout connect 250ms, primary_hold_off " + holdOff.toMillis() + "ms"
          + (push ? ", members push to HAProxy's admin socket" : "");
    }

    static Router parse(String key) {
      for (Router r : values()) {
        if (r.key().equals(key)) {
          return r;
        }
      }
      throw new IllegalArgumentException("unknown router '" + key + "': one of benchmark, stock, recommended, stock-push");
    }
  }

  /** Which router, scenarios, modes and timing profile to measure: all scenarios and modes, default timing, by default. */
  record Selection(Router router, List<Scenario> scenarios, List<Boolean> synchronousModes, String timingProfile) {
    static Selection parse(List<String> args) {
      Router router = Router.BENCHMARK;
      String timing = "default";
      List<Scenario> scenarios = List.of(Scenario.values());
      List<Boolean> modes = List.of(true, false);
      for (int i = 0; i + 1 < args.size(); i += 2) {
        String value = args.get(i + 1);
        switch (args.get(i)) {
          case "--router" -> router = Router.parse(value);
          case "--scenario" -> scenarios = java.util.Arrays.stream(value.split(",")).map(Selection::scenario).toList();
          case "--mode" -> modes = switch (value) {
            case "sync" -> List.of(true);
            case "async" -> List.of(false);
            case "both" -> List.of(true, false);
            default -> throw new IllegalArgumentException("--mode is sync or async, got '" + value + "'");
          };
          case "--timing" -> timing = switch (value) {
            case "default", "fast", "conservative" -> value;
            default -> throw new IllegalArgumentException("--timing is default, fast or conservative, got '" + value + "'");
          };
          default -> throw new IllegalArgumentException("unknown option '" + args.get(i) + "': --router, --scenario, --mode, --timing");
        }
      }
      if (args.size() % 2 != 0) {
        throw new IllegalArgumentException("option '" + args.get(args.size() - 1) + "' needs a value");
      }
      return new Selection(router, scenarios, modes, timing);
    }

    private static Scenario scenario(String key) {
      for (Scenario s : Scenario.values()) {
        if (s.key().equals(key)) {
          return s;
        }
      }
      throw new IllegalArgumentException("unknown scenario '" + key + "'");
    }

    List<String> toArgs() {
      return List.of("--router", router.key(), "--scenario",
          String.join(",", scenarios.stream().map(Scenario::key).toList()), "--mode",
          synchronousModes.size() == 2 ? "both" : synchronousModes.get(0) ? "sync" : "async", "--timing", timingProfile);
    }
  }

  private final int runs;
  private final Path work;
  private final boolean raftTls;
  private final Selection selection;
  private final Results results = new Results();

  private ClusterBenchmark(int runs, Path work, boolean raftTls, Selection selection) {
    this.runs = runs;
    this.work = work;
    this.raftTls = raftTls;
    this.selection = selection;
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--inside")) {
      System.exit(new ClusterBenchmark(Integer.parseInt(args[1]), Path.of(args[2]), Boolean.parseBoolean(args[4]),
          Selection.parse(List.of(args).subList(5, args.length))).inside(Path.of(args[3])));
    }
    List<String> options = args.length > 3 ? List.of(args).subList(3, args.length) : List.of();
    Selection selection;
    try {
      selection = Selection.parse(options);
    } catch (IllegalArgumentException e) {
      System.err.println("ClusterBenchmark: " + e.getMessage());
      System.exit(2);
      return;
    }
    // Mutual TLS on the Raft port unless RAFT_TLS=off: the measurement to compare against.
    boolean raftTls = !"off".equals(System.getenv("RAFT_TLS"));
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    Path work = Path.of(args.length > 1 ? args[1] : "target/benchmark/cluster-work").toAbsolutePath();
    Path json = Path.of(args.length > 2 ? args[2] : "target/benchmark/cluster.json").toAbsolutePath();
    // Every run starts from empty directories: a data directory of an earlier cluster would be refused.
    Directories.deleteTree(work);
    // About 20 s per run and scenario-and-mode, plus the clusters' start and stop.
    long measured = (long) selection.scenarios().size() * selection.synchronousModes().size();
    Duration timeout = Duration.ofSeconds(120 + measured * runs * 60);
    List<String> inside = new java.util.ArrayList<>(List.of(Integer.toString(runs), work.toString(), json.toString(),
        Boolean.toString(raftTls)));
    inside.addAll(selection.toArgs());
    System.exit(ChaosRun.inObserver(ClusterBenchmark.class, inside, timeout, work));
  }

  private int inside(Path json) throws Exception {
    for (boolean synchronous : selection.synchronousModes()) {
      measureMode(synchronous);
    }
    System.out.println();
    System.out.println(results.markdown());
    Map<String, Object> environment = Results.environment(runs);
    environment.put("router", selection.router().key());
    environment.put("haproxy", selection.router().describe());
    environment.put("timing_profile", selection.timingProfile());
    environment.put("raft_tls", raftTls ? "on" : "off");
    results.writeJson(json, environment);
    System.out.println("\nJSON: " + json);
    return 0;
  }

  private void measureMode(boolean synchronous) throws Exception {
    String mode = synchronous ? "sync" : "async";
    try (ChaosCluster cluster = new ChaosCluster(Network.attach(ChaosCluster.MEMBERS),
            work.resolve(mode), new ChaosCluster.Options(synchronous, selection.router().checks,
            selection.router().holdOff, ChaosCluster.Links.DIRECT, selection.timingProfile(), raftTls, selection.router().push));
        Injector injector = new Injector(cluster)) {
      cluster.startAll();
      try (Observer observer = new Observer(cluster, System.nanoTime()).start();
          Writer writer = new Writer(cluster.jdbcThroughHaproxy(), ChaosCluster.PASSWORD, "chaos_writes", WRITE_EVERY)
              .start(Duration.ofSeconds(120))) {
        for (Scenario scenario : selection.scenarios()) {
          String name = scenario.key() + " (" + mode + ")";
          results.describe(name, scenario.description + "; synchronous_mode " + (synchronous ? "on" : "off"));
          for (int i = 1; i <= runs; i++) {
            try {
              Measured m = measureOnce(cluster, injector, observer, writer, scenario, synchronous);
              results.add(name, Map.of("write_unavailable_ms", (double) m.unavailableMillis(),
                  "fault_to_new_lease_ms", (double) m.newLeaseMillis()));
              System.out.printf(Locale.ROOT, "%s run %d/%d: writes unavailable %d ms (new lease holder after %d ms)%n",
                  name, i, runs, m.unavailableMillis(), m.newLeaseMillis());
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
            "acknowledged_writes", (double) writer.acknowledged.size(), "unknown_outcome", (double) writer.unknown.size(),
            "violations", (double) observer.violations().size()));
        System.out.printf(Locale.ROOT, "%s: writer %s; %d acknowledged writes lost; observer: %s%n", mode, writer,
            lost.size(), observer.summary());
        observer.violations().forEach(v -> System.out.println("VIOLATION " + v));
      }
    }
  }

  /**
   * @param unavailableMillis the longest gap between acknowledged writes until writes flow again
   * @param newLeaseMillis from the fault until the observer saw another member hold the lease (50 ms sampling)
   */
  private record Measured(long unavailableMillis, long newLeaseMillis) {}

  /** One fault on the serving primary. */
  private Measured measureOnce(ChaosCluster cluster, Injector injector, Observer observer, Writer writer, Scenario scenario,
      boolean synchronous) throws Exception {
    String primary = awaitSteady(cluster, observer, synchronous);
    // A real fault strikes anywhere in the agent's cycle.
    LockSupport.parkNanos(Duration.ofMillis(ThreadLocalRandom.current().nextLong(500)).toNanos());
    long struck = System.nanoTime();
    // POST /switchover answers once the new primary is promoted: it runs beside the observer, which
    // sees the new lease holder when it appears, not when the answer comes.
    CompletableFuture<HttpResponse<String>> switchover = scenario.fault == null
        ? cluster.switchover(primary, primary, Optional.empty(), SWITCHOVER_ANSWER) : CompletableFuture.completedFuture(null);
    if (scenario.fault != null) {
      injector.strike(scenario.fault, primary);
    }
    long taken;
    try {
      // Writes may go on for a while on the old primary (a frozen agent cannot stop them); what
      // counts is the first write after the new primary took over.
      await("a new primary", () -> refused(switchover) || observer.leaseHolder().filter(p -> !p.equals(primary)).isPresent());
      taken = System.nanoTime();
      await("writes through the new primary", () -> writer.lastSuccessNanos() > taken);
      requireAccepted(switchover);
    } finally {
      if (scenario.fault != null) {
        injector.heal(scenario.fault, primary);
      }
    }
    // The gap that contains the fault: from the last write acknowledged before it to the first after.
    return new Measured(writer.longestGapSince(struck - WRITE_EVERY.toNanos() * 5, writer.lastSuccessNanos()),
        (taken - struck) / 1_000_000);
  }


  /** Answered, and not with 200: no new primary is coming. */
  private static boolean refused(CompletableFuture<HttpResponse<String>> switchover) {
    return switchover.isDone() && (switchover.isCompletedExceptionally()
        || (switchover.join() != null && switchover.join().statusCode() != 200));
  }

  /** The switchover's answer, if one was asked for: 200, or the measurement is void. */
  private static void requireAccepted(CompletableFuture<HttpResponse<String>> switchover) throws Exception {
    HttpResponse<String> r;
    try {
      r = switchover.get(SWITCHOVER_ANSWER.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new IOException("switchover not answered: " + e.getCause(), e.getCause());
    }
    if (r != null && r.statusCode() != 200) {
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
    // The holder is taken from the same look that found the cluster steady: looking again could find no
    // fresh sample at that instant (a slow observer) and no holder.
    String[] holder = new String[1];
    await("a steady cluster", () -> {
      Optional<String> primary = observer.leaseHolder();
      if (primary.isEmpty() || !cluster.isRunning("pg1") || !cluster.isRunning("pg2") || !cluster.isRunning("w1")) {
        return false;
      }
      holder[0] = primary.get();
      String standby = primary.get().equals("pg1") ? "pg2" : "pg1";
      return cluster.answers200(standby, synchronous ? "/sync" : "/replica");
    });
    return holder[0];
  }

  private static void await(String what, BooleanSupplier condition) throws TimeoutException {
    if (!Poll.until(condition, PATIENCE)) {
      throw new TimeoutException(what + " did not come within " + PATIENCE.toSeconds() + " s");
    }
  }
}

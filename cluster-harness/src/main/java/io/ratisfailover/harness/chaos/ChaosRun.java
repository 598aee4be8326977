package io.ratisfailover.harness.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A seeded chaos run: the {@link ChaosCluster} in its namespaces, a writer through HAProxy, the
 * {@link Observer}, the {@link W1Check}, and the faults of {@link Fault#schedule} one after another
 * until the duration is spent, in the replication mode the seed picks. Checked: no two members with a
 * lease that accept writes, W1 (no two servers accepting direct writes at once), never two servers UP
 * in HAProxy's primary backend, no acknowledged write lost (synchronous mode), and after every heal a
 * write through HAProxy within {@link #RECOVERY}. Prints the seed and the schedule; the same seed and
 * duration repeat the schedule.
 *
 * <p>{@link #run} sets up the network and runs the rest in a child process inside the observer's
 * namespace (a JVM cannot move its own sockets into another namespace); {@code --inside} is that child.
 */
public final class ChaosRun {
  /** L1 with everything a client needs: lease expiry, election, promotion, the hold-off, HAProxy's rise. */
  static final Duration RECOVERY = Duration.ofSeconds(30);

  /** The run's numbers, written to {@link #RESULT} in the work directory for the chaos suite's table. */
  static final String RESULT = "result.properties";

  private final long seed;
  private final Duration duration;
  private final Path work;
  private final boolean requireW1;
  private final Optional<List<Fault>> fixed;
  private final long started = System.nanoTime();
  private final List<String> problems = new ArrayList<>();
  private final Properties result = new Properties();

  private ChaosRun(long seed, Duration duration, Path work, boolean requireW1, Optional<List<Fault>> fixed) {
    this.seed = seed;
    this.duration = duration;
    this.work = work;
    this.requireW1 = requireW1;
    this.fixed = fixed;
  }

  /** Usage: ChaosRun [--inside] SEED DURATION WORK_DIR [REQUIRE_W1 [FAULTS]] (FAULTS as {@link Fault#parse} reads them). */
  public static void main(String[] args) throws Exception {
    boolean inside = args.length > 0 && args[0].equals("--inside");
    int i = inside ? 1 : 0;
    long seed = Long.parseLong(args[i]);
    Duration duration = Duration.parse(args[i + 1]);
    Path work = Path.of(args[i + 2]);
    boolean requireW1 = args.length > i + 3 && Boolean.parseBoolean(args[i + 3]);
    Optional<List<Fault>> fixed = args.length > i + 4 ? Optional.of(Fault.parse(args[i + 4])) : Optional.empty();
    if (inside) {
      System.exit(new ChaosRun(seed, duration, work, requireW1, fixed).inside());
    }
    System.exit(fixed.isPresent() ? runFixed(seed, args[i + 4], work, requireW1) : run(seed, duration, work, requireW1));
  }

  /**
   * Creates the namespaces, runs the chaos in the observer's namespace, removes everything; returns
   * the exit code. {@code requireW1}: whether a server still accepting writes past ttl - lease_margin
   * after its agent was killed or frozen fails the run (it needs the agent's guard).
   */
  public static int run(long seed, Duration duration, Path work, boolean requireW1)
      throws IOException, InterruptedException {
    return inObserver(ChaosRun.class, List.of(Long.toString(seed), duration.toString(), work.toString(),
        Boolean.toString(requireW1)), duration.plusMinutes(5), work);
  }

  /**
   * The run with a fixed schedule ({@link Fault#parse}) instead of a drawn one; {@code seed} picks
   * only the replication mode. The run lasts as long as the schedule, plus a minute to form.
   */
  public static int runFixed(long seed, String faults, Path work, boolean requireW1)
      throws IOException, InterruptedException {
    Duration duration = Fault.length(Fault.parse(faults)).plusMinutes(1);
    return inObserver(ChaosRun.class, List.of(Long.toString(seed), duration.toString(), work.toString(),
        Boolean.toString(requireW1), faults), duration.plusMinutes(5), work);
  }

  /**
   * Builds the namespaces, runs {@code main --inside args} in the observer's namespace with this
   * classpath, prints its output, and removes the namespaces; returns the child's exit code (3 when
   * it did not finish within {@code timeout}).
   */
  static int inObserver(Class<?> main, List<String> args, Duration timeout, Path work)
      throws IOException, InterruptedException {
    Files.createDirectories(work);
    try (Network network = Network.create(ChaosCluster.MEMBERS)) {
      List<String> cmd = new ArrayList<>(network.in(Network.OBSERVER));
      cmd.addAll(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx256m", network.childProperty(),
          "-Dlogback.configurationFile=logback-quiet.xml", "-cp", System.getProperty("java.class.path"),
          main.getName(), "--inside"));
      cmd.addAll(args);
      // The child's report goes to a file, then here: a test runner's own stdout is not for children.
      Path report = work.resolve(main.getSimpleName() + ".out");
      Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(report.toFile()).start();
      // Stopped from outside (SIGTERM, Ctrl-C), this JVM runs no finally block: stop the run's processes anyway.
      Thread cleanup = new Thread(() -> killRun(child, work), "chaos-cleanup");
      Runtime.getRuntime().addShutdownHook(cleanup);
      try {
        if (!child.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
          System.out.println(main.getSimpleName() + " did not finish within " + timeout);
          return 3;
        }
        return child.exitValue();
      } finally {
        killRun(child, work);
        child.waitFor(30, TimeUnit.SECONDS);
        try {
          Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException shuttingDown) {
          // the hook runs anyway
        }
        System.out.print(Files.readString(report));
      }
    }
  }

  /**
   * kill -9 of the child and of every process that names the work directory: agents, PostgreSQL
   * servers whose agent was killed (no longer the child's descendants), guards, HAProxy.
   */
  private static void killRun(Process child, Path work) {
    child.descendants().forEach(ProcessHandle::destroyForcibly);
    child.destroyForcibly();
    String dir = work.toAbsolutePath().toString();
    long self = ProcessHandle.current().pid();
    ProcessHandle.allProcesses()
        .filter(p -> p.pid() != self && p.info().commandLine().filter(c -> c.contains(dir)).isPresent())
        .forEach(ProcessHandle::destroyForcibly);
  }

  private int inside() throws Exception {
    List<Fault> schedule = fixed.orElseGet(() -> Fault.schedule(seed, duration));
    boolean synchronous = Fault.synchronous(seed);
    String mode = synchronous ? "sync" : "async";
    result.setProperty("seed", Long.toString(seed));
    result.setProperty("mode", mode);
    say("seed %d, duration %s, %s mode, schedule: %s", seed, duration, mode, schedule);
    ChaosCluster.Options options = ChaosCluster.Options.patroniStyle(ChaosCluster.Links.THROUGH_PROXIES)
        .withSynchronous(synchronous);
    try (ChaosCluster cluster = new ChaosCluster(Network.attach(ChaosCluster.MEMBERS), work, options);
        Injector injector = new Injector(cluster)) {
      cluster.startAll();
      Observer observer = new Observer(cluster, started).start();
      W1Check w1 = new W1Check(cluster, started, options.leaseDuration(), requireW1).start();
      try (observer; w1) {
        Writer writer = new Writer(cluster.jdbcThroughHaproxy(), ChaosCluster.PASSWORD, "chaos_writes", Duration.ofMillis(50))
            .start(Duration.ofSeconds(120));
        Writer.createTable(cluster.jdbcThroughHaproxy(), ChaosCluster.PASSWORD,
            W1Check.TABLE + " (member text, at timestamptz DEFAULT now())");
        say("cluster formed; %s serves", observer.leaseHolder().orElse("nobody"));
        long end = started + duration.toNanos();
        long firstFault = System.nanoTime();
        int done = 0;
        for (Fault f : schedule) {
          if (System.nanoTime() > end) {
            break;
          }
          awaitSteady(cluster, observer);
          String member = resolve(f.target(), observer);
          Optional<String> absent = injector.cannotStrike(f.kind(), member);
          if (absent.isPresent()) {
            say("%s: skipped, %s", f, absent.get());
            continue;
          }
          say("%s: %s on %s", f, f.kind(), member);
          try {
            if (f.kind().stopsAgentAlone) {
              // Noted just before: the bound on a stopped agent's server counts from the stop at the latest.
              w1.agentStopped(member, f.kind());
            }
            long struck = System.nanoTime();
            injector.strike(f.kind(), member);
            LockSupport.parkNanos(f.lasts().toNanos());
            checkServedDuring(f, member, writer, struck);
          } finally {
            injector.heal(f.kind(), member);
          }
          long healed = System.nanoTime();
          if (!Poll.until(() -> writer.lastSuccessNanos() > healed, RECOVERY)) {
            problems.add(String.format(Locale.ROOT, "t+%.1fs: no write through HAProxy within %ds after healing %s on %s",
                seconds(healed), RECOVERY.toSeconds(), f.kind(), member));
          } else {
            say("writes through HAProxy after %d ms; %s serves", (writer.lastSuccessNanos() - healed) / 1_000_000,
                observer.leaseHolder().orElse("nobody"));
          }
          done++;
          LockSupport.parkNanos(f.quietAfter().toNanos());
        }
        writer.close();
        long longestGap = writer.longestGapSince(firstFault, System.nanoTime());
        String primary = awaitPrimary(observer);
        List<Long> lost = writer.lostOn(cluster.jdbc(primary));
        if (!lost.isEmpty()) {
          String line = lost.size() + " acknowledged writes missing on the final primary " + primary + ": " + first(lost);
          if (synchronous) {
            problems.add(line);
          } else {
            say("%s (asynchronous mode: a failover may lose the last commits)", line);
          }
        }
        say("%d faults; writer: %s, longest gap %d ms; observer: %s; W1: %s", done, writer, longestGap,
            observer.summary(), w1.summary());
        w1.excused().forEach(line -> say("%s", line));
        problems.addAll(observer.violations());
        problems.addAll(w1.violations());
        problems.addAll(injector.violations());
        result.setProperty("faults", Integer.toString(done));
        result.setProperty("acknowledged", Integer.toString(writer.acknowledged.size()));
        result.setProperty("failed", Integer.toString(writer.failed.size()));
        result.setProperty("unknown", Integer.toString(writer.unknown.size()));
        result.setProperty("lost", Integer.toString(lost.size()));
        result.setProperty("w1Probes", Long.toString(w1.probes()));
        result.setProperty("w1PastBound", Long.toString(w1.overlapsPastBound()));
        result.setProperty("w1WritableAfterStopMs", Long.toString(w1.longestWritableAfterStopMillis()));
        result.setProperty("dualChecks", Long.toString(observer.dualChecks()));
        result.setProperty("haproxySamples", Long.toString(observer.haproxySamples()));
        result.setProperty("longestGapMs", Long.toString(longestGap));
        result.setProperty("switchoversDone", Integer.toString(injector.switchoversDone()));
      }
    } catch (Exception e) {
      problems.add("the run broke off: " + e);
    }
    result.setProperty("violations", Integer.toString(problems.size()));
    result.setProperty("passed", Boolean.toString(problems.isEmpty()));
    writeResult();
    if (problems.isEmpty()) {
      say("PASSED (seed %d)", seed);
      return 0;
    }
    problems.forEach(p -> say("VIOLATION %s", p));
    say("FAILED: repeat with -Dchaos.seed=%d -Dchaos.duration=%s (logs in %s)", seed, duration, work.resolve("logs"));
    return 1;
  }

  private void writeResult() {
    try (java.io.Writer out = Files.newBufferedWriter(work.resolve(RESULT))) {
      result.store(out, "chaos run");
    } catch (IOException e) {
      say("could not write %s: %s", work.resolve(RESULT), e);
    }
  }

  /**
   * A fault that lasts well past {@link #RECOVERY} is one the cluster must route around while it
   * lasts (one member down or cut off still leaves a majority with a data member): writes through
   * HAProxy must resume within {@link #RECOVERY} of the strike, not only after the heal.
   */
  private void checkServedDuring(Fault f, String member, Writer writer, long struck) {
    if (f.lasts().compareTo(RECOVERY.multipliedBy(2)) < 0) {
      return;
    }
    long gap = writer.longestGapSince(struck, System.nanoTime());
    if (gap > RECOVERY.toMillis()) {
      problems.add(String.format(Locale.ROOT, "t+%.1fs: no write through HAProxy for %d ms while %s on %s lasted",
          seconds(System.nanoTime()), gap, f.kind(), member));
    } else {
      say("while %s on %s lasted, the longest time without a write through HAProxy was %d ms", f.kind(), member, gap);
    }
  }

  /** Before the next fault: a serving primary, and every member's agent running, started and live. */
  private void awaitSteady(ChaosCluster cluster, Observer observer) {
    if (!Poll.until(() -> unsteady(cluster, observer).isEmpty(), RECOVERY)) {
      problems.add(String.format(Locale.ROOT, "t+%.1fs: no steady cluster within %ds before the next fault: %s",
          seconds(System.nanoTime()), RECOVERY.toSeconds(), String.join(", ", unsteady(cluster, observer))));
    }
  }

  /** What keeps the cluster from being steady; empty when it is. */
  private static List<String> unsteady(ChaosCluster cluster, Observer observer) {
    List<String> why = new ArrayList<>();
    if (observer.leaseHolder().isEmpty()) {
      why.add("no lease holder");
    }
    for (String m : ChaosCluster.MEMBERS) {
      if (!cluster.isRunning(m)) {
        why.add(m + "'s agent is not running");
      } else if (!observer.live(m)) {
        why.add(m + " is not live");
      }
    }
    return why;
  }

  private String awaitPrimary(Observer observer) {
    Poll.until(() -> observer.leaseHolder().isPresent(), RECOVERY);
    return observer.leaseHolder().orElse("pg1");
  }

  private static String resolve(String target, Observer observer) {
    Optional<String> primary = observer.leaseHolder();
    return switch (target) {
      case "primary" -> primary.orElse("pg1");
      case "standby" -> primary.map(p -> p.equals("pg1") ? "pg2" : "pg1").orElse("pg2");
      case "leader" -> observer.raftLeader().orElse("w1");
      default -> target;
    };
  }

  private static String first(List<Long> ids) {
    return ids.subList(0, Math.min(10, ids.size())) + (ids.size() > 10 ? "..." : "");
  }

  private double seconds(long nanos) {
    return (nanos - started) / 1e9;
  }

  private void say(String format, Object... args) {
    System.out.printf(Locale.ROOT, "[chaos t+%6.1fs] %s%n", seconds(System.nanoTime()), String.format(Locale.ROOT, format, args));
    System.out.flush();
  }
}

package io.ratisfailover.postgres.bench;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.Timing;
import io.ratisfailover.postgres.testing.Faults;
import io.ratisfailover.postgres.testing.PgCluster;
import io.ratisfailover.postgres.testing.PgSandbox;
import io.ratisfailover.postgres.testing.Writer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Failover with real PostgreSQL: two data members and a witness on loopback, a client writing one
 * row every 20 ms to whichever member serves as primary, and for each replication mode and each
 * change of primary — PostgreSQL-only crash, planned switchover, whole-member crash — several runs.
 * Prints, per scenario, the median and worst write-unavailability (longest gap between acknowledged
 * writes) and the acknowledged commits lost.
 *
 * <p>Usage: {@code FailoverBenchmark [runs per scenario, default 5] [default|fast timing] [off,on modes]}.
 * Needs the PostgreSQL server binaries and, when run as root, the {@code postgres} OS user.
 */
public final class FailoverBenchmark {
  private static final Duration WRITE_EVERY = Duration.ofMillis(20);
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final List<Faults.Kind> SCENARIOS =
      List.of(Faults.Kind.POSTGRES_CRASH, Faults.Kind.SWITCHOVER, Faults.Kind.WHOLE_MEMBER_CRASH);

  private FailoverBenchmark() {}

  /** One scenario's runs in one mode. */
  record Row(SynchronousMode mode, Faults.Kind kind, List<Duration> unavailable, int lost, int indeterminate) {
    Duration median() {
      List<Duration> sorted = new ArrayList<>(unavailable);
      Collections.sort(sorted);
      int n = sorted.size();
      return n % 2 == 1 ? sorted.get(n / 2) : sorted.get(n / 2 - 1).plus(sorted.get(n / 2)).dividedBy(2);
    }

    Duration worst() {
      return Collections.max(unavailable);
    }
  }

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    Timing timing = args.length > 1 && args[1].equals("fast") ? Timing.fast().build() : Timing.defaults();
    List<SynchronousMode> modes = new ArrayList<>();
    for (String m : (args.length > 2 ? args[2] : "off,on").split(",")) {
      modes.add(SynchronousMode.valueOf(m.strip().toUpperCase(Locale.ROOT)));
    }
    System.out.printf("failover benchmark: %d runs per scenario, ttl %d ms, loop_wait %d ms, modes %s%n", runs,
        timing.ttl().toMillis(), timing.loopWait().toMillis(), modes);
    List<Row> rows = new ArrayList<>();
    for (SynchronousMode mode : modes) {
      rows.addAll(runMode(mode, timing, runs));
    }
    System.out.println();
    System.out.printf("%-5s %-20s %5s %12s %12s %10s %14s%n", "mode", "scenario", "runs", "median ms", "worst ms",
        "lost acked", "indeterminate");
    for (Row r : rows) {
      System.out.printf("%-5s %-20s %5d %12d %12d %10d %14d%n", r.mode(), r.kind(), r.unavailable().size(),
          r.median().toMillis(), r.worst().toMillis(), r.lost(), r.indeterminate());
    }
    System.exit(0);
  }

  private static List<Row> runMode(SynchronousMode mode, Timing timing, int runs) throws Exception {
    return BenchmarkSandbox.run(sandbox -> {
      PgCluster c = PgCluster.threeMembers(sandbox, "bench-" + mode.name().toLowerCase(Locale.ROOT), timing,
          ClusterSettings.DEFAULT.withSynchronousMode(mode)).startAll();
      Writer.createTable(c.postgres(Faults.awaitSteady(c, WAIT)));
      Writer w = sandbox.closeAfterTest(new Writer(c::servingPostgres, WRITE_EVERY, Duration.ofSeconds(2)).start());
      Map<Faults.Kind, List<Duration>> times = new EnumMap<>(Faults.Kind.class);
      Map<Faults.Kind, Integer> lost = new EnumMap<>(Faults.Kind.class);
      Map<Faults.Kind, Integer> indeterminate = new EnumMap<>(Faults.Kind.class);
      int lostSoFar = 0;
      for (Faults.Kind kind : SCENARIOS) {
        for (int i = 1; i <= runs; i++) {
          int indeterminateBefore = w.indeterminate().size();
          Faults.Outcome o = Faults.inject(c, w, kind, WAIT);
          String primary = Faults.awaitSteady(c, WAIT);
          int lostNow = w.lostOn(c.postgres(primary)).size();
          Optional<Duration> gap = o.unavailable();
          times.computeIfAbsent(kind, k -> new ArrayList<>()).add(gap.orElse(WAIT));
          lost.merge(kind, lostNow - lostSoFar, Integer::sum);
          indeterminate.merge(kind, w.indeterminate().size() - indeterminateBefore, Integer::sum);
          System.out.printf("%-3s %-18s run %d: %s -> %s (%s), writes unavailable %d ms, lost %d%n", mode, kind, i,
              o.from(), o.to(), o.cause(), gap.map(Duration::toMillis).orElse(-1L), lostNow - lostSoFar);
          lostSoFar = lostNow;
        }
      }
      w.close();
      System.out.printf("%s: %s%n", mode, w);
      List<Row> rows = new ArrayList<>();
      for (Faults.Kind kind : SCENARIOS) {
        rows.add(new Row(mode, kind, times.get(kind), lost.get(kind), indeterminate.get(kind)));
      }
      return rows;
    });
  }
}

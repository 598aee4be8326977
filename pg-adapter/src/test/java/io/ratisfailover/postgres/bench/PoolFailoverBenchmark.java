package io.ratisfailover.postgres.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.ratisfailover.ClusterSettings;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.Timing;
import io.ratisfailover.postgres.testing.Faults;
import io.ratisfailover.postgres.testing.PgCluster;
import io.ratisfailover.postgres.testing.PrimaryPool;
import io.ratisfailover.postgres.testing.Writer;
import io.ratisfailover.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The failover gap a client without HAProxy sees: a HikariCP pool over a pgjdbc multi-host URL
 * ({@link PrimaryPool}), writing one row every 20 ms, while the primary's whole host dies (agent and
 * PostgreSQL killed) and the standby takes over after the lease; then the old member comes back.
 * Prints each run's gap (last write acknowledged before the kill to the first after) and the
 * median and worst.
 *
 * <p>Usage: {@code PoolFailoverBenchmark [runs, default 5] [hostRecheckSeconds, default 2]}.
 */
public final class PoolFailoverBenchmark {
  private static final Duration WAIT = Duration.ofSeconds(120);

  private PoolFailoverBenchmark() {}

  public static void main(String[] args) throws Exception {
    int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int recheck = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    Timing timing = Timing.defaults();
    System.out.printf("pool failover benchmark: %d runs, whole-member crash of the primary, ttl %d ms, synchronous mode on,"
        + " pgjdbc hostRecheckSeconds=%d%n", runs, timing.ttl().toMillis(), recheck);
    List<Duration> gaps = new ArrayList<>();
    BenchmarkSandbox.run(sandbox -> {
      PgCluster c = PgCluster.threeMembers(sandbox, "pool", timing,
          ClusterSettings.DEFAULT.withSynchronousMode(SynchronousMode.ON)).startAll();
      Writer.createTable(c.postgres(Faults.awaitSteady(c, WAIT)));
      HikariDataSource pool = sandbox.closeAfterTest(
          PrimaryPool.create(List.of(c.postgres("pg1"), c.postgres("pg2")), recheck));
      Writer w = sandbox.closeAfterTest(Writer.through(pool, Duration.ofMillis(20), Duration.ofSeconds(5)).start());
      int lostBefore = 0;
      for (int i = 1; i <= runs; i++) {
        String old = Faults.awaitSteady(c, WAIT);
        String next = Faults.other(old);
        w.awaitAcknowledged(20, WAIT);
        long killedAt = System.nanoTime();
        c.killMember(old);
        Await.until(next + " serving", WAIT, () -> c.servingPrimary().filter(next::equals).isPresent(), c::describe);
        long servingAt = System.nanoTime();
        w.awaitAcknowledged(5, WAIT);
        Duration gap = w.unavailability(killedAt, servingAt).orElse(WAIT);
        Duration lease = Duration.ofNanos(servingAt - killedAt);
        int lost = w.lostOn(c.postgres(next)).size();
        System.out.printf("run %d: %s -> %s, new primary serving after %d ms, pool's gap %d ms, lost acknowledged %d%n", i,
            old, next, lease.toMillis(), gap.toMillis(), lost - lostBefore);
        lostBefore = lost;
        gaps.add(gap);
        c.start(old);
      }
      w.close();
      Collections.sort(gaps);
      int n = gaps.size();
      Duration median = n % 2 == 1 ? gaps.get(n / 2) : gaps.get(n / 2 - 1).plus(gaps.get(n / 2)).dividedBy(2);
      System.out.printf("%nHikariCP pool, whole-member crash: %d runs, median gap %d ms, worst %d ms; %s%n", n,
          median.toMillis(), gaps.get(n - 1).toMillis(), w);
      return null;
    });
    System.exit(0);
  }
}

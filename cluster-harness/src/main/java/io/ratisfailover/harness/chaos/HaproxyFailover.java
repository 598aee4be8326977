package io.ratisfailover.harness.chaos;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * HAProxy configured exactly as a Patroni user configures it ({@code option httpchk OPTIONS /primary},
 * {@code http-check expect status 200}, {@code inter 1s fall 2 rise 1 on-marked-down shutdown-sessions})
 * in front of real PostgreSQL members, a writer through it, and the primary's host killed: HAProxy
 * must move to the new primary, never list two servers UP (its admin socket, every 50 ms), and lose
 * no acknowledged write. Prints how long after the new primary's lease HAProxy marked it UP.
 *
 * <p>Runs in the observer's namespace: {@link #run} sets up the network.
 */
public final class HaproxyFailover {
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);

  private HaproxyFailover() {}

  public static int run(Path work) throws Exception {
    return ChaosRun.inObserver(HaproxyFailover.class, List.of(work.toString()), Duration.ofMinutes(5), work);
  }

  public static void main(String[] args) throws Exception {
    System.exit(inside(Path.of(args[1])));
  }

  private static int inside(Path work) throws Exception {
    List<String> problems = new ArrayList<>();
    long started = System.nanoTime();
    try (ChaosCluster cluster = new ChaosCluster(Network.attach(ChaosCluster.MEMBERS), work,
            ChaosCluster.Options.patroniStyle(ChaosCluster.Links.DIRECT))) {
      cluster.startAll();
      try (Observer observer = new Observer(cluster, started).start();
          Writer writer = new Writer(cluster.jdbcThroughHaproxy(), ChaosCluster.PASSWORD, "haproxy_writes",
              Duration.ofMillis(50)).start(PATIENCE)) {
        await(() -> observer.leaseHolder().isPresent() && observer.haproxyUp().size() == 1);
        String old = observer.leaseHolder().orElseThrow();
        String next = old.equals("pg1") ? "pg2" : "pg1";
        // In synchronous mode only a recorded synchronous standby may be elected: killing the primary
        // before the standby is one leaves nobody to elect, as it should (seen once on a loaded machine).
        await(() -> writer.acknowledged.size() >= 20 && cluster.answers200(next, "/sync"));
        System.out.printf(Locale.ROOT, "%s serves, HAProxy routes to %s; killing %s's host%n", old, observer.haproxyUp(), old);
        long killed = System.nanoTime();
        cluster.killHost(old);
        await(() -> observer.leaseHolder().filter(next::equals).isPresent());
        long lease = System.nanoTime();
        await(() -> observer.haproxyUp().equals(List.of(next)));
        long up = System.nanoTime();
        long firstWrite = awaitWriteAfter(writer, up);
        System.out.printf(Locale.ROOT, "%s answered 200 on /primary %d ms after the kill; HAProxy marked it UP %d ms later;"
            + " writes resumed %d ms after the kill%n", next, (lease - killed) / 1_000_000, (up - lease) / 1_000_000,
            (firstWrite - killed) / 1_000_000);
        if (up - lease > CHECK_INTERVAL.toNanos() + Duration.ofMillis(200).toNanos()) {
          problems.add("HAProxy took " + (up - lease) / 1_000_000 + " ms after the new lease, more than one check interval");
        }
        writer.close();
        List<Long> lost = writer.lostOn(cluster.jdbc(next));
        if (!lost.isEmpty()) {
          problems.add(lost.size() + " acknowledged writes missing on " + next);
        }
        System.out.printf(Locale.ROOT, "writer: %s; observer: %s%n", writer, observer.summary());
        problems.addAll(observer.violations());
      }
    }
    problems.forEach(p -> System.out.println("VIOLATION " + p));
    return problems.isEmpty() ? 0 : 1;
  }

  private static long awaitWriteAfter(Writer writer, long after) throws TimeoutException {
    await(() -> writer.lastSuccessNanos() > after);
    return writer.lastSuccessNanos();
  }

  private static void await(BooleanSupplier condition) throws TimeoutException {
    if (!Poll.until(condition, PATIENCE)) {
      throw new TimeoutException("gave up after " + PATIENCE.toSeconds() + " s");
    }
  }
}

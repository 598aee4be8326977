package io.ratisfailover.harness.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ratisfailover.harness.Directories;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;

/**
 * False failovers on bad links: the chaos cluster with a share of the packets into every member
 * dropped at random (nftables {@code numgen} in each member's namespace; TCP's retransmission
 * timeout turns each loss into a delay of 200 ms or more) and every chunk on the links between
 * members delayed by a random time up to the jitter ({@link LinkProxy}, as the kernel here has no
 * netem), for a while, with a writer through HAProxy. A change of primary in that time is a false
 * failover: nobody died.
 *
 * <p>Usage: {@code LossyLinks MINUTES PERCENT JITTER_MS TIMING_PROFILE WORK_DIR}, as root; {@code ./run-benchmark --suite lossy}.
 */
public final class LossyLinks {
  private static final Duration PATIENCE = Duration.ofSeconds(120);

  private LossyLinks() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--inside")) {
      System.exit(inside(Duration.ofMinutes(Long.parseLong(args[1])), Integer.parseInt(args[2]),
          Duration.ofMillis(Long.parseLong(args[3])), args[4], Path.of(args[5])));
    }
    long minutes = args.length > 0 ? Long.parseLong(args[0]) : 10;
    int percent = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    long jitterMillis = args.length > 2 ? Long.parseLong(args[2]) : 200;
    String timingProfile = args.length > 3 ? args[3] : "default";
    Path work = Path.of(args.length > 4 ? args[4] : "target/benchmark/lossy-work").toAbsolutePath();
    Directories.deleteTree(work); // a cluster of a run before would start from its old state
    System.exit(ChaosRun.inObserver(LossyLinks.class, List.of(Long.toString(minutes), Integer.toString(percent),
        Long.toString(jitterMillis), timingProfile, work.toString()), Duration.ofMinutes(minutes + 5), work));
  }

  private static int inside(Duration duration, int percent, Duration jitter, String timingProfile, Path work)
      throws Exception {
    Network network = Network.attach(ChaosCluster.MEMBERS);
    try (ChaosCluster cluster = new ChaosCluster(network, work,
        ChaosCluster.Options.patroniStyle(ChaosCluster.Links.THROUGH_PROXIES).withTiming(timingProfile))) {
      cluster.startAll();
      try (Observer observer = new Observer(cluster, System.nanoTime()).start();
          Writer writer = new Writer(cluster.jdbcThroughHaproxy(), ChaosCluster.PASSWORD, "lossy_writes",
              Duration.ofMillis(50)).start(PATIENCE)) {
        Poll.until(() -> observer.leaseHolder().isPresent(), PATIENCE);
        int epochsBefore = history(cluster);
        String primary = observer.leaseHolder().orElse("nobody");
        for (String m : ChaosCluster.MEMBERS) {
          network.lose(m, percent);
          cluster.jitter(m, jitter);
        }
        long from = System.nanoTime();
        System.out.printf(Locale.ROOT, "%d %% of the packets into every member dropped and %d ms of jitter on every link "
            + "between members for %s, timing profile %s; %s serves%n", percent, jitter.toMillis(), duration, timingProfile,
            primary);
        LockSupport.parkNanos(duration.toNanos());
        long until = System.nanoTime();
        for (String m : ChaosCluster.MEMBERS) {
          network.stopLosing(m);
          cluster.jitter(m, Duration.ZERO);
        }
        int falseFailovers = history(cluster) - epochsBefore;
        writer.close();
        List<Long> lost = lostOnTheServingPrimary(writer, cluster, observer);
        System.out.printf(Locale.ROOT, "false failovers: %d; longest time without an acknowledged write: %d ms; "
            + "writer: %s; acknowledged writes lost: %d; observer: %s%n", falseFailovers,
            writer.longestGapSince(from, until), writer, lost.size(), observer.summary());
        observer.violations().forEach(v -> System.out.println("VIOLATION " + v));
        return falseFailovers == 0 && lost.isEmpty() && observer.violations().isEmpty() ? 0 : 1;
      }
    }
  }

  /** Checked on whoever serves once the links healed; a failover may still be under way then. */
  private static List<Long> lostOnTheServingPrimary(Writer writer, ChaosCluster cluster, Observer observer)
      throws SQLException {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (true) {
      Optional<String> primary = observer.leaseHolder();
      try {
        if (primary.isPresent()) {
          return writer.lostOn(cluster.jdbc(primary.get()));
        }
      } catch (SQLException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new SQLException("no serving primary within " + PATIENCE + " of healing the links");
      }
      LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
    }
  }


  /** How many epochs the witness's {@code /history} lists. */
  private static int history(ChaosCluster cluster) throws IOException, InterruptedException {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create(cluster.api("w1") + "/history")).timeout(Duration.ofSeconds(5)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    return new ObjectMapper().readTree(r.body()).size();
  }
}

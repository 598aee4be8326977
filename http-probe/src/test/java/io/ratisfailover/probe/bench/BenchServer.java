package io.ratisfailover.probe.bench;

import io.ratisfailover.FailoverMember;
import io.ratisfailover.Timing;
import io.ratisfailover.probe.Certificates;
import io.ratisfailover.probe.ProbeConfig;
import io.ratisfailover.probe.ProbeServer;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.LocalCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The server side of the probe benchmark: a real three-member cluster (Raft on loopback, agents,
 * in-memory databases) with a probe per member. Prints {@code READY primary=<url> replica=<url>
 * witness=<url>}, then serves until SIGTERM; meanwhile it watches every agent loop (cycle
 * durations, and whether the primary ever stops serving) and prints that on the way out, so the
 * benchmark shows what probe load does to the agent. Run by {@code http-probe/run-probe-benchmark}.
 *
 * <p>With the argument {@code --tls}, every probe serves HTTPS with a throw-away CA the way the
 * README recommends for a probe whose admin API is reachable: client certificates optional, so a
 * router's health check needs none while admin requests do. The CA's file is printed as
 * {@code ca=<path>} on the READY line for the load client to trust. With {@code --warm-up}, each
 * probe warms itself up when it starts, as the sidecar and witness programs' probes do by default.
 */
public final class BenchServer {
  private BenchServer() {}

  public static void main(String[] args) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("probe-bench");
    boolean tls = List.of(args).contains("--tls");
    Optional<Certificates> certs = tls ? Optional.of(Certificates.create(Files.createDirectories(dir.resolve("tls"))))
        : Optional.empty();
    ProbeConfig.Builder config = ProbeConfig.builder().host("127.0.0.1").port(0).warmUp(List.of(args).contains("--warm-up"));
    certs.ifPresent(c -> config.tls(new ProbeConfig.Tls(c.serverCert, c.serverKey, Optional.empty(), Optional.of(c.ca),
        ProbeConfig.ClientAuth.OPTIONAL)));
    LocalCluster cluster = LocalCluster.threeMembers("bench", dir, Timing.defaults()).startAll();
    Map<String, ProbeServer> probes = new LinkedHashMap<>();
    for (String id : List.of("pg1", "pg2", "w1")) {
      probes.put(id, ProbeServer.start(cluster.member(id), config.build()));
    }
    Await.until("a serving primary", Duration.ofSeconds(60), () -> cluster.servingPrimary().isPresent(),
        cluster::describe);
    FailoverMember primary = cluster.servingPrimary().orElseThrow();
    String replica = primary.id().value().equals("pg1") ? "pg2" : "pg1";
    Await.until("the replica to stream", Duration.ofSeconds(60),
        () -> cluster.member(replica).local().database().map(d -> d.isReplica()).orElse(false), cluster::describe);

    List<Long> cycleNanos = Collections.synchronizedList(new ArrayList<>());
    long[] servingGaps = new long[1];
    ScheduledExecutorService watch = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "bench-agent-watch");
      t.setDaemon(true);
      return t;
    });
    watch.scheduleAtFixedRate(() -> {
      for (FailoverMember m : cluster.members()) {
        cycleNanos.add(m.local().lastCycle().toNanos());
      }
      if (!primary.servingPrimary()) {
        servingGaps[0]++;
      }
    }, 10, 10, TimeUnit.MILLISECONDS);

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      watch.shutdownNow();
      List<Long> sorted;
      synchronized (cycleNanos) {
        sorted = new ArrayList<>(cycleNanos);
      }
      sorted.sort(Comparator.naturalOrder());
      System.out.printf("AGENT samples=%d cycle_p50_ms=%.3f cycle_p99_ms=%.3f cycle_max_ms=%.3f"
          + " primary_not_serving_samples=%d (sampled every 10 ms on all three members)%n", sorted.size(),
          pct(sorted, 0.50), pct(sorted, 0.99), pct(sorted, 1.0), servingGaps[0]);
      System.out.flush();
      probes.values().forEach(ProbeServer::close);
      cluster.close();
      deleteTree(dir);
      stopped.countDown();
    }, "bench-shutdown"));

    System.out.println("READY primary=" + probes.get(primary.id().value()).url() + " replica="
        + probes.get(replica).url() + " witness=" + probes.get("w1").url() + certs.map(c -> " ca=" + c.ca).orElse(""));
    System.out.flush();
    stopped.await();
  }

  private static double pct(List<Long> sorted, double q) {
    if (sorted.isEmpty()) {
      return 0;
    }
    int i = (int) Math.min(sorted.size() - 1, Math.ceil(q * sorted.size()) - 1);
    return sorted.get(Math.max(0, i)) / 1e6;
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

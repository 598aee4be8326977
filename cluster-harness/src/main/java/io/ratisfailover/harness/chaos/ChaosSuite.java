package io.ratisfailover.harness.chaos;

import io.ratisfailover.harness.Directories;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Several seeded chaos runs ({@link ChaosRun}) one after another, and a table of their results: the
 * mode and faults of each seed, the writer's acknowledged, failed and unknown writes, the samples of
 * each check, the violations, the longest time without a write through HAProxy, and where each
 * seed's logs are kept (its databases and Raft storage are removed; a passed seed's long write
 * gap deserves a reading too).
 *
 * <p>Usage: {@code ChaosSuite SEEDS DURATION WORK_DIR [REQUIRE_W1]}, as root, where SEEDS is a count
 * of fresh seeds or a comma-separated list; {@code ./run-benchmark --suite chaos}. Exits 1 when a seed failed.
 */
public final class ChaosSuite {
  private ChaosSuite() {}

  public static void main(String[] args) throws Exception {
    List<Long> seeds = seeds(args.length > 0 ? args[0] : "5");
    Duration duration = Duration.parse(args.length > 1 ? args[1] : "PT4M");
    Path work = Path.of(args.length > 2 ? args[2] : "target/benchmark/chaos-work").toAbsolutePath();
    boolean requireW1 = args.length > 3 && Boolean.parseBoolean(args[3]);
    Directories.deleteTree(work);
    List<String> rows = new ArrayList<>();
    int failed = 0;
    for (long seed : seeds) {
      Path dir = work.resolve("seed-" + seed);
      System.out.printf(Locale.ROOT, "== seed %d (%s)%n", seed, duration);
      int exit = ChaosRun.run(seed, duration, dir, requireW1);
      Properties r = result(dir);
      if (exit != 0) {
        failed++;
      }
      Directories.deleteTree(dir.resolve("data")); // the logs stay, the databases go
      Directories.deleteTree(dir.resolve("raft"));
      String logs = dir.resolve("logs").toString();
      rows.add(String.format(Locale.ROOT, "| %d | %s | %s | %s / %s / %s | %s | %s / %s / %s | %s | %s (%s ms) | %s ms | %s | %s |",
          seed, r.getProperty("mode", "?"), r.getProperty("faults", "?"), r.getProperty("acknowledged", "?"),
          r.getProperty("failed", "?"), r.getProperty("unknown", "?"), r.getProperty("lost", "?"),
          r.getProperty("w1Probes", "?"), r.getProperty("dualChecks", "?"), r.getProperty("haproxySamples", "?"),
          r.getProperty("violations", "?"), r.getProperty("w1PastBound", "?"), r.getProperty("w1WritableAfterStopMs", "?"),
          r.getProperty("longestGapMs", "?"), exit == 0 ? "PASS" : "FAIL" + (exit == 3 ? " (timed out)" : ""), logs));
    }
    System.out.println();
    System.out.println("| seed | mode | faults | writes ack / failed / unknown | ack lost | samples W1 / dual-primary / HAProxy "
        + "| violations | W1 past ttl - margin after an agent stop (longest writable after one) | longest write gap "
        + "| result | logs |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
    System.out.printf(Locale.ROOT, "%n%d of %d seeds passed (%s each)%n", seeds.size() - failed, seeds.size(), duration);
    System.exit(failed == 0 ? 0 : 1);
  }

  /** A count of fresh seeds ("5") or the seeds themselves ("453479,89922"). */
  private static List<Long> seeds(String arg) {
    List<Long> seeds = new ArrayList<>();
    if (arg.contains(",")) {
      for (String s : arg.split(",")) {
        seeds.add(Long.parseLong(s.strip()));
      }
    } else {
      for (int i = Integer.parseInt(arg); i > 0; i--) {
        seeds.add(ThreadLocalRandom.current().nextLong(1, 1_000_000));
      }
    }
    return seeds;
  }

  private static Properties result(Path dir) {
    Properties p = new Properties();
    Path file = dir.resolve(ChaosRun.RESULT);
    if (Files.exists(file)) {
      try (Reader in = Files.newBufferedReader(file)) {
        p.load(in);
      } catch (IOException e) {
        System.out.println("unreadable " + file + ": " + e.getMessage());
      }
    }
    return p;
  }
}

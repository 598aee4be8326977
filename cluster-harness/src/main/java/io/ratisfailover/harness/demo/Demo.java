package io.ratisfailover.harness.demo;

import io.ratisfailover.ctl.Ctl;
import io.ratisfailover.harness.ClusterCa;
import io.ratisfailover.harness.Directories;
import io.ratisfailover.harness.Programs;
import io.ratisfailover.harness.chaos.Writer;
import io.ratisfailover.testing.HaproxyConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The local demo: two PostgreSQL data members and a witness on loopback, HAProxy in front, a client
 * writing through it; then the primary's host dies, the other member takes over, and the old
 * primary comes back as a standby. Everything it starts is stopped, and its files removed, when it
 * ends — also on Ctrl-C.
 */
@Command(name = "run-demo", mixinStandardHelpOptions = true,
    description = "Starts a local cluster (two PostgreSQL members, a witness, HAProxy) and shows a real failover.")
public final class Demo implements Callable<Integer> {
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final String[] MEMBERS = {"pg1", "pg2", "w1"};

  @Option(names = "--keep", description = "Keep the work directory (logs, data) instead of removing it.")
  boolean keep;

  @Option(names = "--work-dir", description = "Where to put data and logs (default: ${DEFAULT-VALUE}).", defaultValue = "demo-work")
  Path work;

  private final long started = System.nanoTime();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
  private final Map<String, Integer> ports = new java.util.HashMap<>();
  private String password;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Demo()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Directories.deleteTree(work);
    Files.createDirectories(work.resolve("logs"));
    work = work.toAbsolutePath();
    password = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
    allocatePorts();
    writeConfigs();
    Processes processes = new Processes(work.resolve("logs"));
    Thread cleanup = new Thread(() -> {
      processes.close();
      removeWork();
    }, "demo-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      run(processes);
      return 0;
    } finally {
      // Standbys first, the primary next (nobody left to hand over to: it just stops), the witness last.
      String primary = servingPrimary().orElse("pg1");
      processes.stopInOrder(List.of("haproxy", primary.equals("pg1") ? "pg2" : "pg1", primary, "w1"));
      removeWork();
      Runtime.getRuntime().removeShutdownHook(cleanup);
    }
  }

  private void run(Processes processes) throws Exception {
    say("starting witness w1 and data members pg1, pg2 (PostgreSQL runs as user 'postgres'; Raft on mutual TLS with"
        + " a CA made for this run); logs in " + work.resolve("logs"));
    startMember(processes, "w1");
    startMember(processes, "pg1");
    startMember(processes, "pg2");
    String first = await("a primary", () -> servingPrimary().isPresent()) ? servingPrimary().orElseThrow() : null;
    String standby = first.equals("pg1") ? "pg2" : "pg1";
    await(standby + " streaming from " + first, () -> answers(standby, "/replica", 200));
    say(first + " is primary; " + standby + " streams from it");
    rfctl("list");

    Path haproxyConfig = work.resolve("haproxy.cfg");
    // With our recommended checks: HAProxy asks each member's /primary every 500 ms and follows the one answering 200.
    Files.writeString(haproxyConfig, HaproxyConfig.primary(work.resolve("haproxy.sock"), "127.0.0.1", ports.get("haproxy"))
        .timeoutConnect("2s").timeoutIdle("30m").checks("inter 500ms fall 2 rise 1").statsPage(ports.get("haproxy-stats"))
        .server("pg1", "127.0.0.1", ports.get("pg1-pg"), ports.get("pg1-api"))
        .server("pg2", "127.0.0.1", ports.get("pg2-pg"), ports.get("pg2-api")).render());
    processes.start("haproxy", List.of("haproxy", "-f", haproxyConfig.toString(), "-db"), Map.of());
    say("HAProxy on 127.0.0.1:" + ports.get("haproxy") + " routes to whichever member answers 200 on /primary");

    Writer writer = new Writer("jdbc:postgresql://127.0.0.1:" + ports.get("haproxy") + "/postgres", password,
        "demo_writes", Duration.ofMillis(100)).start(PATIENCE);
    await("20 acknowledged writes", () -> writer.acknowledged.size() >= 20);
    say(writer.acknowledged.size() + " writes acknowledged through HAProxy, one every 100 ms");

    say("killing " + first + "'s host: kill -9 of its agent and its PostgreSQL");
    long killedAt = writer.lastSuccessNanos();
    processes.kill(first);
    await("writes to resume on " + standby, () -> writer.lastSuccessNanos() > killedAt
        && servingPrimary().filter(standby::equals).isPresent());
    writer.close();
    long gap = writer.longestGapSince(killedAt, writer.lastSuccessNanos());
    List<Long> lost = writer.lostOn("jdbc:postgresql://127.0.0.1:" + ports.get(standby + "-pg") + "/postgres");
    say(standby + " is primary: writes resumed after " + gap + " ms without one; " + lost.size()
        + " acknowledged writes lost (synchronous mode is on)");
    rfctl("list");

    say("restarting " + first + ": it reads the cluster state, rewinds if needed and follows " + standby);
    startMember(processes, first);
    await(first + " streaming from " + standby, () -> answers(first, "/replica", 200));
    say(first + " is back as a standby of " + standby);
    rfctl("list");
    rfctl("history");
    say(String.format(Locale.ROOT, "done in %.0f s; stopping everything", secondsSinceStart()));
  }

  // --- members -------------------------------------------------------------------------------------

  private void allocatePorts() throws IOException {
    List<String> names = new ArrayList<>();
    for (String m : MEMBERS) {
      names.add(m + "-raft");
      names.add(m + "-api");
      if (!m.startsWith("w")) {
        names.add(m + "-pg");
      }
    }
    names.add("haproxy");
    names.add("haproxy-stats");
    for (String name : names) {
      try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        ports.put(name, s.getLocalPort());
      }
    }
  }

  /** Every member on mutual TLS with a CA made for this run; its key lives in memory only. */
  private void writeConfigs() throws IOException {
    ClusterCa ca = ClusterCa.create(work.resolve("pki"), "demo");
    String peers = "peers:\n"
        + "  - {id: pg1, kind: data, raft: 127.0.0.1:" + ports.get("pg1-raft") + "}\n"
        + "  - {id: pg2, kind: data, raft: 127.0.0.1:" + ports.get("pg2-raft") + "}\n"
        + "  - {id: w1, kind: witness, raft: 127.0.0.1:" + ports.get("w1-raft") + "}\n";
    for (String m : List.of("pg1", "pg2")) {
      Path data = Files.createDirectories(work.resolve("data"));
      Files.writeString(work.resolve(m + ".yml"), "cluster: demo\nmember: " + m + "\n" + peers
          + "raft: {storage: " + work.resolve("raft").resolve(m) + ", tls: " + ca.tlsYaml(m, "127.0.0.1") + "}\n"
          + "settings: {synchronous_mode: \"on\"}\n"
          + "api: {listen: 127.0.0.1:" + ports.get(m + "-api") + ", username: admin, password: env:DEMO_PASSWORD}\n"
          + "postgresql:\n"
          + "  data_dir: " + data.resolve(m) + "\n"
          + "  listen: 127.0.0.1:" + ports.get(m + "-pg") + "\n"
          + "  os_user: postgres\n"
          + "  superuser: {username: postgres, password: env:DEMO_PASSWORD}\n"
          + "  replication: {username: replicator, password: env:DEMO_PASSWORD}\n"
          + "  parameters: {shared_buffers: 32MB, max_connections: \"50\"}\n");
    }
    Files.writeString(work.resolve("w1.yml"), "member: w1\nstorage: " + work.resolve("raft").resolve("w1") + "\n"
        + "raft: {tls: " + ca.tlsYaml("w1", "127.0.0.1") + "}\n"
        + "api: {username: admin, password: env:DEMO_PASSWORD}\n"
        + "clusters:\n  - name: demo\n    api_listen: 127.0.0.1:" + ports.get("w1-api") + "\n"
        + peers.replace("\n  - ", "\n      - ").replace("peers:", "    peers:"));
  }

  private void startMember(Processes processes, String member) throws IOException {
    String java = ProcessHandle.current().info().command().orElse("java");
    String main = member.startsWith("w") ? Programs.WITNESS : Programs.SIDECAR;
    processes.start(member, List.of(java, "-Xmx128m", "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"),
        main, "--config", work.resolve(member + ".yml").toString()), Map.of("DEMO_PASSWORD", password));
  }

  private Optional<String> servingPrimary() {
    return Stream.of("pg1", "pg2").filter(m -> answers(m, "/primary", 200)).findFirst();
  }

  private boolean answers(String member, String path, int status) {
    try {
      HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports.get(member + "-api") + path))
          .timeout(Duration.ofSeconds(1)).GET().build();
      return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == status;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void rfctl(String command) {
    System.out.println();
    Ctl.run("--url", "http://127.0.0.1:" + ports.get("w1-api") + ",http://127.0.0.1:" + ports.get("pg1-api")
        + ",http://127.0.0.1:" + ports.get("pg2-api"), command);
    System.out.println();
  }

  // --- narrative --------------------------------------------------------------------------------------

  private boolean await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("gave up waiting for " + what + " after " + PATIENCE.toSeconds()
            + " s; see the logs in " + work.resolve("logs") + " (run with --keep to keep them)");
      }
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
    }
    return true;
  }

  private void say(String line) {
    System.out.printf(Locale.ROOT, "[%5.1fs] %s%n", secondsSinceStart(), line);
  }

  private double secondsSinceStart() {
    return (System.nanoTime() - started) / 1e9;
  }

  private void removeWork() {
    if (!keep) {
      try {
        Directories.deleteTree(work);
      } catch (IOException e) {
        System.err.println("could not remove " + work + ": " + e.getMessage());
      }
    }
  }

}

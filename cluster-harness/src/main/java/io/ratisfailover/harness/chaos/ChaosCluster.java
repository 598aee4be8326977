package io.ratisfailover.harness.chaos;

import io.ratisfailover.harness.ClusterCa;
import io.ratisfailover.harness.Directories;
import io.ratisfailover.harness.Programs;
import io.ratisfailover.harness.demo.Processes;
import io.ratisfailover.node.config.TimingSection;
import io.ratisfailover.testing.HaproxyConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Two data members (sidecar processes, each starting its PostgreSQL as the {@code postgres} user), a
 * witness process and HAProxy, each in its own network namespace of a {@link Network}. HAProxy is
 * configured as a Patroni user configures it; the members hold {@code /primary} at 503 for HAProxy's
 * {@code fall x inter} after a change of primary, so HAProxy never lists two servers up.
 */
final class ChaosCluster implements AutoCloseable {
  static final List<String> DATA = List.of("pg1", "pg2");
  static final List<String> MEMBERS = List.of("pg1", "pg2", "w1");
  static final int RAFT = 7001;
  static final int API = 8008;
  static final int POSTGRES = 5432;
  static final int HAPROXY_PORT = 5000;
  static final String PASSWORD = "chaos-secret";
  /** Where a member's {@link LinkProxy} listens: its service port plus this. */
  private static final int PROXY_OFFSET = 10_000;

  /** How the members reach each other: directly, or through proxies that can slow their links. */
  enum Links { DIRECT, THROUGH_PROXIES }

  /**
   * @param haproxyChecks HAProxy's {@code default-server} check settings
   * @param holdOff the members' {@code primary_hold_off}: HAProxy's {@code inter + (fall - 1) x fastinter}
   * @param timingProfile the members' {@code timing: profile}
   * @param raftTls mutual TLS on the Raft port with a CA made for the run; else {@code raft.insecure}
   * @param haproxyPush the members push their {@code /primary} changes to HAProxy's admin socket ({@code api.haproxy})
   */
  record Options(boolean synchronous, String haproxyChecks, Duration holdOff, Links links, String timingProfile,
      boolean raftTls, boolean haproxyPush) {
    /** Synchronous mode, HAProxy as Patroni users configure it, default timing, Raft on TLS. */
    static Options patroniStyle(Links links) {
      return new Options(true, "inter 1s fall 2 rise 1", Duration.ofSeconds(2), links, "default", true, false);
    }

    Options withTiming(String profile) {
      return new Options(synchronous, haproxyChecks, holdOff, links, profile, raftTls, haproxyPush);
    }

    Options withSynchronous(boolean on) {
      return new Options(on, haproxyChecks, holdOff, links, timingProfile, raftTls, haproxyPush);
    }

    /** How long a primary's lease lasts from its last renewal: {@code ttl - lease_margin} of the timing profile. */
    Duration leaseDuration() {
      return new TimingSection(timingProfile, null, null, null, null, null, null, null, null, null, null)
          .toTiming("timing").leaseDuration();
    }
  }

  private final Network network;
  private final Path work;
  private final Processes processes;
  private final Options options;
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(1)).build();

  ChaosCluster(Network network, Path work, Options options) throws IOException {
    this.network = network;
    this.work = work;
    this.options = options;
    Files.createDirectories(work.resolve("logs"));
    Files.createDirectories(work.resolve("links"));
    Files.createDirectories(work.resolve("data"));
    // PostgreSQL runs as 'postgres' and must reach its data directory.
    for (Path p = work.resolve("data"); p != null; p = p.getParent()) {
      p.toFile().setExecutable(true, false);
    }
    this.processes = new Processes(work.resolve("logs"));
    writeConfigs();
  }

  void startAll() throws IOException {
    if (options.links() == Links.THROUGH_PROXIES) {
      for (String m : MEMBERS) {
        startLinkProxy(m);
      }
    }
    start("w1");
    for (String m : DATA) {
      start(m);
    }
    startHaproxy();
  }

  /** Starts a member's agent (again) from its configuration and directories, with extra program options. */
  void start(String member, String... options) throws IOException {
    String main = member.equals("w1") ? Programs.WITNESS : Programs.SIDECAR;
    List<String> args = new ArrayList<>(List.of("--config", work.resolve(member + ".yml").toString()));
    args.addAll(List.of(options));
    processes.start(member, javaIn(member, "128m", main, args.toArray(String[]::new)), Map.of("CHAOS_PASSWORD", PASSWORD));
  }

  /** Deletes the member's Raft log and snapshots, as a lost disk would. */
  void wipeRaftStorage(String member) throws IOException {
    Directories.deleteTree(work.resolve("raft").resolve(member));
  }

  /**
   * Waits for the member's agent to refuse its start: it must exit with an error naming
   * {@code --rejoin}, in its own log. Returns what went wrong otherwise.
   */
  Optional<String> refusal(String member, Duration within) throws IOException {
    Optional<Process> p = processes.get(member);
    if (p.isEmpty()) {
      return Optional.of(member + " was not started on its wiped Raft storage");
    }
    try {
      if (!p.get().waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
        processes.kill(member);
        return Optional.of(member + " ran on wiped Raft storage for " + within.toSeconds() + " s without --rejoin");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    processes.forget(member);
    List<String> lines = Files.readAllLines(logs().resolve(member + ".log"));
    String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    if (p.get().exitValue() == 0 || !tail.contains("--rejoin")) {
      return Optional.of(member + " exited with " + p.get().exitValue() + " on wiped Raft storage, without naming --rejoin");
    }
    return Optional.empty();
  }

  /** A JVM with this classpath and a small heap, in the member's namespace. */
  private List<String> javaIn(String member, String heap, String main, String... args) {
    List<String> cmd = new ArrayList<>(network.in(member));
    cmd.addAll(List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx" + heap, "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        main));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** The proxy the member's peers reach it through: Raft, and PostgreSQL on a data member. */
  private void startLinkProxy(String member) throws IOException {
    Map<Integer, Integer> ports = new LinkedHashMap<>();
    ports.put(RAFT, RAFT + PROXY_OFFSET);
    if (DATA.contains(member)) {
      ports.put(POSTGRES, POSTGRES + PROXY_OFFSET);
    }
    List<String> cmd = javaIn(member, "32m", LinkProxy.class.getName(), jitterFile(member).toString(),
        network.address(member));
    ports.forEach((port, proxy) -> cmd.add(port + ":" + proxy));
    processes.start("links-" + member, cmd, Map.of());
    network.throughProxy(member, ports);
  }

  /** Drops the connections into the member's Raft server (direct and through its link proxy); its own go on. */
  void blockRaftInbound(String member) throws IOException {
    network.blockInbound(member, RAFT, RAFT + PROXY_OFFSET);
  }

  Options options() {
    return options;
  }

  /** Delays every chunk on the member's links to its peers by up to {@code jitter}; zero heals them. */
  void jitter(String member, Duration jitter) throws IOException {
    if (options.links() != Links.THROUGH_PROXIES) {
      throw new IllegalStateException("this cluster's links are direct: they cannot be slowed");
    }
    Path tmp = Files.writeString(work.resolve("links").resolve(member + ".tmp"), Long.toString(jitter.toMillis()));
    Files.move(tmp, jitterFile(member), StandardCopyOption.ATOMIC_MOVE);
  }

  private Path jitterFile(String member) {
    return work.resolve("links").resolve(member);
  }

  /** HAProxy waits min(timeout connect, 1 s) before it retries a refused connection: short on a LAN. */
  private void startHaproxy() throws IOException {
    HaproxyConfig cfg = HaproxyConfig.primary(statsSocket(), network.address(Network.HAPROXY), HAPROXY_PORT)
        .timeoutConnect("250ms").timeoutIdle("30m").checks(options.haproxyChecks());
    for (String m : DATA) {
      cfg.server(m, network.address(m), POSTGRES, API);
    }
    Path file = Files.writeString(work.resolve("haproxy.cfg"), cfg.render());
    List<String> cmd = new ArrayList<>(network.in(Network.HAPROXY));
    cmd.addAll(List.of("haproxy", "-db", "-f", file.toString()));
    processes.start("haproxy", cmd, Map.of());
  }

  Path statsSocket() {
    return work.resolve("haproxy.sock");
  }

  String jdbcThroughHaproxy() {
    return "jdbc:postgresql://" + network.address(Network.HAPROXY) + ":" + HAPROXY_PORT + "/postgres";
  }

  String jdbc(String member) {
    return "jdbc:postgresql://" + network.address(member) + ":" + POSTGRES + "/postgres";
  }

  String api(String member) {
    return "http://" + network.address(member) + ":" + API;
  }

  /**
   * {@code POST /switchover} to {@code via}'s API as the admin: away from {@code leader}, to
   * {@code candidate} if given. Completes with the answer (200 once the new primary is promoted).
   */
  CompletableFuture<HttpResponse<String>> switchover(String via, String leader, Optional<String> candidate,
      Duration answerWithin) {
    String auth = Base64.getEncoder().encodeToString(("admin:" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    String body = "{\"leader\": \"" + leader + "\"" + candidate.map(c -> ", \"candidate\": \"" + c + "\"").orElse("") + "}";
    HttpRequest request = HttpRequest.newBuilder(URI.create(api(via) + "/switchover"))
        .timeout(answerWithin).header("Authorization", "Basic " + auth)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
  }

  /** Whether {@code member}'s API answers 200 on {@code path} (a health check) within half a second. */
  boolean answers200(String member, String path) {
    try {
      HttpRequest r = HttpRequest.newBuilder(URI.create(api(member) + path))
          .timeout(Duration.ofMillis(500)).GET().build();
      return http.send(r, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  Network network() {
    return network;
  }

  /** The agent's process, while it runs. */
  Optional<Process> agent(String member) {
    return processes.get(member);
  }

  /** The postmaster named by {@code postmaster.pid}, if it is alive. */
  Optional<ProcessHandle> postmaster(String member) {
    try {
      Path pidFile = dataDirectory(member).resolve("postmaster.pid");
      if (!Files.exists(pidFile)) {
        return Optional.empty();
      }
      return ProcessHandle.of(Long.parseLong(Files.readAllLines(pidFile).get(0).strip())).filter(ProcessHandle::isAlive);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** kill -9 of the agent alone; its PostgreSQL lives on. */
  void killAgent(String member) {
    processes.killAlone(member);
  }

  /** SIGTERM to the agent, as systemd stops it: a primary hands over, PostgreSQL shuts down cleanly. */
  void stopAgent(String member) {
    processes.stop(member, Duration.ofSeconds(60));
  }

  /** kill -9 of the postmaster; its backends exit on their own. */
  void killPostgres(String member) {
    postmaster(member).ifPresent(ProcessHandle::destroyForcibly);
  }

  /** The member's host dies: agent and PostgreSQL, both kill -9. */
  void killHost(String member) {
    Optional<ProcessHandle> pm = postmaster(member);
    processes.kill(member);
    pm.ifPresent(ProcessHandle::destroyForcibly);
  }

  boolean isRunning(String member) {
    return processes.get(member).map(Process::isAlive).orElse(false);
  }

  Path dataDirectory(String member) {
    return work.resolve("data").resolve(member);
  }

  Path logs() {
    return work.resolve("logs");
  }

  @Override
  public void close() {
    processes.stopInOrder(List.of("haproxy", "pg2", "pg1", "w1", "links-pg1", "links-pg2", "links-w1"));
    // A postmaster whose agent was killed was not this process's child: stop it by its PID.
    for (String m : DATA) {
      postmaster(m).ifPresent(h -> {
        h.destroyForcibly();
        try {
          h.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
          // gone or stuck; reported by the caller's cleanup of the work directory
        }
      });
    }
  }

  private void writeConfigs() throws IOException {
    ClusterCa ca = options.raftTls() ? ClusterCa.create(work.resolve("pki"), "chaos") : null;
    Function<String, String> security = m -> ca == null ? "insecure: true"
        : "tls: " + ca.tlsYaml(m, network.address(m));
    StringBuilder peers = new StringBuilder("peers:\n");
    for (String m : MEMBERS) {
      peers.append("  - {id: ").append(m).append(", kind: ").append(m.equals("w1") ? "witness" : "data")
          .append(", raft: ").append(network.address(m)).append(':').append(RAFT).append("}\n");
    }
    for (String m : DATA) {
      Files.writeString(work.resolve(m + ".yml"), "cluster: chaos\nmember: " + m + "\n" + peers
          + "raft: {storage: " + work.resolve("raft").resolve(m) + ", " + security.apply(m) + "}\n"
          + "timing: {profile: " + options.timingProfile() + "}\n"
          + "settings: {synchronous_mode: \"" + (options.synchronous() ? "on" : "off") + "\"}\n"
          + "api: {listen: " + network.address(m) + ":" + API + ", username: admin, password: env:CHAOS_PASSWORD, "
          + "primary_hold_off: " + options.holdOff().toMillis() + "ms"
          + (options.haproxyPush() ? ", haproxy: {runtime_api: [\"unix:" + statsSocket() + "\"], backend: primary}" : "")
          + "}\n"
          + "postgresql:\n"
          + "  data_dir: " + dataDirectory(m) + "\n"
          // Beside the agents' logs, so that a failed run keeps the server's own account too.
          + "  log_file: " + logs().resolve("postgres-" + m + ".log") + "\n"
          + "  listen: " + network.address(m) + ":" + POSTGRES + "\n"
          + "  os_user: postgres\n"
          // Unattended healing: a data directory pg_rewind cannot repair is cloned again.
          + "  rewind_policy: rewind_then_reclone\n"
          + "  allow_data_directory_removal: true\n"
          + "  superuser: {username: postgres, password: env:CHAOS_PASSWORD}\n"
          + "  replication: {username: replicator, password: env:CHAOS_PASSWORD}\n"
          + "  client_networks: [" + Network.SUBNET + "0/24]\n"
          + "  parameters: {shared_buffers: 32MB, max_connections: \"50\"}\n");
    }
    Files.writeString(work.resolve("w1.yml"), "member: w1\nstorage: " + work.resolve("raft").resolve("w1") + "\n"
        + "api: {username: admin, password: env:CHAOS_PASSWORD}\n"
        + "timing: {profile: " + options.timingProfile() + "}\n"
        + "raft: {" + security.apply("w1") + "}\n"
        + "clusters:\n  - name: chaos\n    api_listen: " + network.address("w1") + ":" + API + "\n"
        + peers.toString().replace("\n  - ", "\n      - ").replace("peers:", "    peers:"));
  }
}

package io.ratisfailover.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The command-line tool against a stand-in member API: what it sends, what it prints, how it fails. */
class CtlTest {
  HttpServer server;
  String url;
  final List<String> requests = new CopyOnWriteArrayList<>();
  volatile String scheduled = "";
  volatile String pg1Extra = "";
  @RegisterExtension final ConsoleCapture console = new ConsoleCapture();
  final ByteArrayOutputStream out = console.out;
  final ByteArrayOutputStream err = console.err;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      String auth = exchange.getRequestHeaders().getFirst("Authorization");
      requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath() + " " + body
          + (auth == null ? "" : " auth"));
      String path = exchange.getRequestURI().getPath();
      int status = 200;
      String reply;
      if (path.equals("/cluster")) {
        reply = """
            {"scope": "orders", "epoch": 3, "pause": true, "members": [
              {"name": "pg1", "host": "10.0.0.1", "port": 5432, "role": "leader", "state": "running", "timeline": 3,
               "api_url": "%s/patroni"%s},
              {"name": "pg2", "host": "10.0.0.2", "port": 5432, "role": "sync_standby", "state": "streaming",
               "timeline": 3, "receive_lsn": "0/5000060", "replay_lsn": "0/5000060", "lag": 2097152},
              {"name": "w1", "host": "10.0.0.3", "role": "witness", "state": "running"}]%s}
            """.formatted(url, pg1Extra, scheduled);
      } else if (path.equals("/patroni")) {
        reply = "{\"patroni\": {\"scope\": \"orders\", \"name\": \"pg1\", \"version\": \"0.9.1\"}}";
      } else if (path.equals("/switchover") && auth == null) {
        status = 401;
        reply = "{\"error\": \"authentication required\"}";
      } else if (path.equals("/switchover") && body.contains("pg9")) {
        status = 412;
        reply = "{\"error\": \"candidate pg9 is not a member of cluster orders\"}";
      } else if (path.equals("/clusters")) {
        reply = """
            [{"name": "orders", "primary": "orders-pg1", "epoch": 3, "raft_leader": "w1", "raft_term": 7, "paused": false,
              "members": 3, "members_reporting": 3, "max_lag_bytes": 0, "health": "healthy"},
             {"name": "billing", "primary": null, "epoch": 1, "raft_leader": "w1", "raft_term": 2, "paused": false,
              "members": 3, "members_reporting": 1, "health": "no_primary"}]
            """;
      } else if (path.equals("/history")) {
        reply = "[[1, \"0/3000148\", \"lease of pg2 expired\", \"2026-11-22T10:00:00+00:00\", \"pg1\"]]";
      } else {
        reply = "{\"message\": \"ok: " + path + "\"}";
      }
      byte[] bytes = reply.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(status, bytes.length);
      exchange.getResponseBody().write(bytes);
      exchange.close();
    });
    server.start();
    url = "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  int ctl(String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "--url";
    all[1] = url;
    System.arraycopy(args, 0, all, 2, args.length);
    return Ctl.run(all);
  }

  @Test
  void listPrintsATableLikePatronictl() {
    assertThat(ctl("list")).isZero();
    String table = out.toString(StandardCharsets.UTF_8);
    assertThat(table).contains("+ Cluster: orders (epoch 3) [paused]");
    assertThat(table).containsPattern("\\| pg2 +\\| 10\\.0\\.0\\.2:5432 \\| Sync standby \\| streaming \\| 3 +\\| 0/5000060 +\\| 0/5000060 +\\| 2\\.0 +\\|");
    assertThat(table).contains("| w1 ");
  }

  @Test
  void jsonAndYamlFormatsPrintTheAnswer() {
    assertThat(ctl("--format", "json", "list")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("\"scope\" : \"orders\"");
    out.reset();
    assertThat(ctl("-f", "yaml", "history")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("lease of pg2 expired");
  }

  @Test
  void changesSendTheRightRequests() {
    assertThat(ctl("--username", "admin", "--password", "pw", "switchover", "--candidate", "pg2")).isZero();
    assertThat(ctl("--username", "admin", "--password", "pw", "pause")).isZero();
    assertThat(ctl("--username", "admin", "--password", "pw", "edit-config", "--set", "maximum_lag_on_failover=1048576",
        "--set", "synchronous_mode=on")).isZero();
    assertThat(ctl("--username", "admin", "--password", "pw", "restart", "pg1")).isZero();
    assertThat(requests).contains("POST /switchover {\"candidate\":\"pg2\"} auth", "PATCH /config {\"pause\":true} auth",
        "PATCH /config {\"maximum_lag_on_failover\":1048576,\"synchronous_mode\":\"on\"} auth", "POST /restart {} auth");
  }

  @Test
  void editConfigNestsPostgresqlKeysAndKeepsAParameterNamesDots() {
    assertThat(ctl("edit-config", "--set", "postgresql.parameters.work_mem=64MB", "--set",
        "postgresql.parameters.auto_explain.log_min_duration=1s", "--set", "postgresql.parameters.max_connections=200",
        "--set", "postgresql.pg_hba=[\"hostssl all all 0.0.0.0/0 cert\"]")).isZero();
    assertThat(requests).contains("PATCH /config {\"postgresql\":{\"parameters\":{\"work_mem\":\"64MB\","
        + "\"auto_explain.log_min_duration\":\"1s\",\"max_connections\":200},"
        + "\"pg_hba\":[\"hostssl all all 0.0.0.0/0 cert\"]}}");
  }

  @Test
  void editConfigDeclaresAndRemovesPermanentSlots() {
    assertThat(ctl("edit-config", "--set", "slots.orders_cdc.type=logical", "--set", "slots.orders_cdc.database=orders",
        "--set", "slots.orders_cdc.plugin=pgoutput", "--set", "slots.archiver=null")).isZero();
    assertThat(requests).contains("PATCH /config {\"slots\":{\"orders_cdc\":{\"type\":\"logical\","
        + "\"database\":\"orders\",\"plugin\":\"pgoutput\"},\"archiver\":null}}");
  }

  @Test
  void editConfigApplyTakesNestedYamlAndSetStillWins(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws IOException {
    java.nio.file.Path file = dir.resolve("change.yml");
    java.nio.file.Files.writeString(file, """
        postgresql:
          parameters:
            work_mem: 32MB
            shared_buffers: 256MB
          pg_hba:
            - host all app 10.0.0.0/8 scram-sha-256
        """);
    assertThat(ctl("edit-config", "--apply", file.toString(), "--set", "postgresql.parameters.work_mem=64MB")).isZero();
    assertThat(requests).contains("PATCH /config {\"postgresql\":{\"parameters\":{\"work_mem\":\"64MB\","
        + "\"shared_buffers\":\"256MB\"},\"pg_hba\":[\"host all app 10.0.0.0/8 scram-sha-256\"]}}");
  }

  @Test
  void listShowsPendingRestartsAndRestartPendingRestartsOnlyThose() {
    assertThat(ctl("list")).isZero();
    assertThat(out()).doesNotContain("Pending restart");
    assertThat(ctl("restart", "--pending")).isZero();
    assertThat(out()).contains("no member has a pending restart");
    assertThat(requests).noneMatch(r -> r.startsWith("POST /restart"));
    pg1Extra = ", \"pending_restart\": true";
    out.reset();
    assertThat(ctl("list")).isZero();
    assertThat(out()).contains("Pending restart").containsPattern("\\| pg1 .*\\| \\* +\\|");
    assertThat(ctl("restart", "--pending")).isZero();
    assertThat(requests).contains("POST /restart {\"restart_pending\":true}");
    assertThat(out()).contains("pg1: ok: /restart");
    assertThat(ctl("restart")).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("name the members to restart, or give --pending");
  }

  @Test
  void failuresAreOneClearLine() {
    assertThat(ctl("switchover")).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("rfctl: wrong or missing credentials for " + url);
    err.reset();
    assertThat(ctl("--username", "admin", "switchover", "--candidate", "pg9")).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("POST /switchover refused by " + url + " (HTTP 412): candidate pg9 is not a member of cluster orders");
    err.reset();
    assertThat(Ctl.run("--url", "http://127.0.0.1:1", "list")).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("rfctl: no member answered: http://127.0.0.1:1");
    err.reset();
    assertThat(ctl("restart", "pg7")).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("the cluster has no member pg7");
  }

  String out() {
    return console.out();
  }

  @Test
  void dsnPrintsMultiHostStringsOverTheDataMembers() {
    assertThat(ctl("dsn")).isZero();
    assertThat(out()).isEqualTo("""
        host=10.0.0.1,10.0.0.2 port=5432,5432 dbname=postgres target_session_attrs=read-write
        jdbc:postgresql://10.0.0.1:5432,10.0.0.2:5432/postgres?targetServerType=primary
        """);
    out.reset();
    assertThat(ctl("dsn", "--role", "replica", "--dbname", "my db", "--db-user", "app")).isZero();
    assertThat(out()).isEqualTo("""
        host=10.0.0.1,10.0.0.2 port=5432,5432 dbname='my db' user=app target_session_attrs=standby
        jdbc:postgresql://10.0.0.1:5432,10.0.0.2:5432/my%20db?targetServerType=secondary&loadBalanceHosts=true&user=app
        """);
    out.reset();
    assertThat(ctl("-f", "json", "dsn")).isZero();
    assertThat(out()).contains("\"jdbc\" : \"jdbc:postgresql://10.0.0.1:5432,10.0.0.2:5432/postgres?targetServerType=primary\"",
        "\"members\" : [ \"pg1\", \"pg2\" ]");
  }

  @Test
  void topologyShowsTheStandbysUnderThePrimary() {
    assertThat(ctl("topology")).isZero();
    assertThat(out()).containsPattern("\\| pg1 +\\| 10\\.0\\.0\\.1:5432 \\| Leader +\\|[^\n]*\n\\| \\+ pg2 +\\| 10\\.0\\.0\\.2:5432 \\| Sync standby \\| streaming \\| 3 +\\| 2\\.0 +\\|\n\\| w1 ");
    out.reset();
    assertThat(ctl("-f", "json", "topology")).isZero();
    assertThat(out()).containsPattern("\"name\" : \"pg1\"[^\\]]*\"replicas\" : \\[ \\{\\s*\"name\" : \"pg2\"");
  }

  @Test
  void reloadAsksEachDataMemberAndNamesTheOnesThatFailed() {
    assertThat(ctl("--username", "admin", "reload", "pg1")).isZero();
    assertThat(requests).contains("POST /reload {} auth");
    assertThat(out()).isEqualTo("pg1: ok: /reload\n");
    // pg2 publishes no API URL: pg1 is still reloaded, and the exit code says one failed.
    assertThat(ctl("--username", "admin", "reload")).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("rfctl: pg2: member pg2 publishes no API URL\n");
  }

  @Test
  void flushCancelsAScheduledSwitchoverAndSaysWhenThereIsNone() {
    assertThat(ctl("--username", "admin", "flush", "switchover")).isZero();
    assertThat(out()).isEqualTo("no switchover is scheduled\n");
    assertThat(requests).noneMatch(r -> r.startsWith("DELETE"));
    scheduled = ", \"scheduled_switchover\": {\"at\": \"2026-12-01T03:00:00Z\"}";
    assertThat(ctl("--username", "admin", "flush", "switchover")).isZero();
    assertThat(requests).contains("DELETE /switchover  auth");
    assertThat(ctl("flush", "restart")).isEqualTo(2);
  }

  @Test
  void versionShowsRfctlsAndEachMembers() {
    assertThat(ctl("version", "pg1")).isZero();
    assertThat(out()).startsWith("rfctl ").endsWith("\npg1: ratis-failover 0.9.1\n");
    out.reset();
    assertThat(ctl("-f", "json", "version", "pg1")).isZero();
    assertThat(out()).contains("\"members\" : {\n    \"pg1\" : \"0.9.1\"");
    out.reset();
    assertThat(Ctl.run("--version")).isZero();
    assertThat(out()).startsWith("rfctl ");
  }

  @Test
  void listWatchRedrawsUntilInterrupted() throws Exception {
    Thread watcher = new Thread(() -> ctl("list", "--watch", "0.1"));
    watcher.start();
    try {
      io.ratisfailover.testing.Await.until("three redraws", java.time.Duration.ofSeconds(20),
          () -> out().split("Cluster: orders", -1).length > 3, this::out);
    } finally {
      watcher.interrupt();
      watcher.join(10_000);
    }
    assertThat(watcher.isAlive()).isFalse();
    assertThat(ctl("list", "--watch", "0")).isEqualTo(1);
  }

  @Test
  void clustersListsEveryClusterAWitnessServesAndFailsWhenOneIsUnhealthy() {
    assertThat(ctl("clusters")).isEqualTo(2);
    String table = out.toString(StandardCharsets.UTF_8);
    assertThat(table).contains("Cluster", "orders", "orders-pg1", "healthy", "billing", "1/3", "no_primary");
    out.reset();
    assertThat(ctl("--format", "json", "clusters")).isEqualTo(2);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("\"raft_term\" : 7", "\"health\" : \"no_primary\"");
  }

  @Test
  void reloadClustersPostsToTheWitness() {
    assertThat(ctl("--username", "admin", "--password", "x", "reload-clusters")).isZero();
    assertThat(requests).contains("POST /clusters/reload {} auth");
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("ok: /clusters/reload");
  }
}

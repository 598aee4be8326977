package io.ratisfailover.postgres;

import static io.ratisfailover.postgres.testing.PgSandbox.topology;
import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.MemberId;
import io.ratisfailover.postgres.testing.Db;
import io.ratisfailover.postgres.testing.PgSandbox;
import io.ratisfailover.spi.FenceMode;
import io.ratisfailover.spi.Promotion;
import io.ratisfailover.spi.Upstream;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Debian's PgPool-II 4.3 in streaming-replication mode in front of a real primary and its streaming
 * standby, configured as the README recommends (pgpool never promotes anything): after a switchover
 * (the old primary fenced, the standby promoted) pgpool still sends writes to the stopped server
 * until the role-change action tells it; with the action, the next write lands on the new primary
 * well before pgpool's own health check could have noticed. Then the way back: the old primary,
 * now a streaming standby, is promoted in turn and the action makes it pgpool's primary again,
 * whether pgpool still has it detached or re-attached it by {@code auto_failback}.
 */
class PgPoolTest {
  private static final Logger log = LoggerFactory.getLogger(PgPoolTest.class);
  @RegisterExtension
  static final PgSandbox pg = new PgSandbox();
  private static final Path BIN = Path.of("/usr/sbin");
  private static final Duration WAIT = Duration.ofSeconds(30);
  /** How soon after the action starts a write through pgpool must reach the new primary. */
  private static final Duration REPOINT_BOUND = Duration.ofSeconds(2);
  /**
   * pgpool's own detection of a dead backend takes at least {@code health_check_max_retries} x
   * {@code health_check_retry_delay} after its first failed check: longer than the bound above, so
   * a write that reaches the new primary in time was routed there by the action.
   */
  private static final String HEALTH_CHECK = """
      health_check_period = 5
      health_check_timeout = 5
      health_check_max_retries = 2
      health_check_retry_delay = 2
      """;
  private static final Duration OWN_DETECTION = Duration.ofSeconds(4);

  @Test
  void theActionRoutesWritesThroughPgPoolToTheNewPrimaryAfterASwitchover() throws Exception {
    boolean installed = Files.isExecutable(BIN.resolve("pgpool")) && Files.isExecutable(BIN.resolve("pcp_promote_node"));
    if (!installed && System.getenv("CI") == null) {
      Assumptions.abort("pgpool is not installed: install Debian's package 'pgpool2' (scripts/prerequisites.sh does)");
    }
    assertThat(installed).as("pgpool2 must be installed in CI (scripts/prerequisites.sh installs it)").isTrue();

    PostgresConfig c1 = pg.config(pg.copyOfTemplate("pg1")).build();
    PostgresConfig c2 = pg.config(pg.dataDirectory("pg2")).build();
    PostgresAdapter a1 = pg.adapter("pg1", c1);
    PostgresAdapter a2 = pg.adapter("pg2", c2);
    a1.startPrimary(topology(1, "pg2"));
    Db.execute(c1, "CREATE ROLE app LOGIN PASSWORD 'app-pw' IN ROLE pg_monitor");
    Db.execute(c1, "CREATE TABLE orders (id int, written_on int)");
    Db.execute(c1, "GRANT ALL ON orders TO app");
    a2.startReplica(Optional.of(upstream("pg1", a1)));
    awaitStreaming(c1, "pg2");

    Pgpool pool = startPgpool(c1, c2);
    Await.until("pgpool to accept connections", WAIT, () -> serverPort(pool.port).isPresent(), pool::log);
    assertThat(write(pool.port, 1)).as("before the switchover").isEqualTo(c1.port());

    PgPool action = new PgPool(new PgPool.Config("127.0.0.1", pool.pcpPort, "pcpadmin", pool.pcpPass,
        Duration.ofSeconds(10), Optional.of(BIN)));

    // A switchover as the cluster does it: the old primary fenced (stopped), then the standby promoted.
    long fenced = System.nanoTime();
    a1.fence(FenceMode.FAST);
    a2.promote(new Promotion(topology(2, "pg1"), Optional.empty()));
    long promoted = System.nanoTime();
    // Without the action pgpool still routes to the stopped server, until its health check has
    // failed on it often enough (not yet, unless the promotion itself took that long): writes fail.
    Optional<Integer> unrouted = writeOrError(pool.port, 2);
    if (Duration.ofNanos(System.nanoTime() - fenced).compareTo(OWN_DETECTION) < 0) {
      assertThat(unrouted).as("a write through pgpool before the action").isEmpty();
    }

    long start = System.nanoTime();
    assertThat(action.makePrimary(1)).as("the action").isTrue();
    long actionMillis = (System.nanoTime() - start) / 1_000_000;
    int landed = Await.value("a write through pgpool to land", REPOINT_BOUND, () -> writeOrError(pool.port, 3).orElse(null));
    long repointMillis = (System.nanoTime() - start) / 1_000_000;
    log.info("pgpool repointed: action {} ms, first write on the new primary {} ms after the action began, {} ms"
        + " after the promotion", actionMillis, repointMillis, (System.nanoTime() - promoted) / 1_000_000);
    assertThat(landed).isEqualTo(c2.port());
    assertThat(Db.column(c2, "SELECT written_on FROM orders ORDER BY id")).as("the row written before the switchover"
        + " reached the new primary, the new one is there").startsWith("" + c1.port()).contains("" + c2.port());
    assertThat(PgSandbox.postmasterPid(c1.dataDirectory())).as("the old primary stays stopped").isEmpty();

    // The way back: pg1 follows pg2, then pg2 is fenced and pg1 promoted. pgpool has pg1 detached
    // (or auto_failback re-attached it as a standby meanwhile): the action handles either.
    a1.startReplica(Optional.of(upstream("pg2", a2)));
    awaitStreaming(c2, "pg1");
    a2.fence(FenceMode.FAST);
    a1.promote(new Promotion(topology(3, "pg2"), Optional.empty()));
    assertThat(action.makePrimary(0)).as("the action, back to pg1").isTrue();
    assertThat(Await.value("a write through pgpool to land on pg1", REPOINT_BOUND,
        () -> writeOrError(pool.port, 4).orElse(null))).isEqualTo(c1.port());

    // pgpool unreachable: the action gives up within its timeout and says so.
    PgPool unreachable = new PgPool(new PgPool.Config("127.0.0.1", Ports.free(1)[0], "pcpadmin", pool.pcpPass,
        Duration.ofSeconds(1), Optional.of(BIN)));
    long before = System.nanoTime();
    assertThat(unreachable.makePrimary(0)).isFalse();
    assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(3));
  }

  /** A pgpool run as the servers' OS user on loopback ports, stopped by its PID after the test. */
  private record Pgpool(int port, int pcpPort, Path pcpPass, Path dir) {
    String log() {
      try {
        return Files.readString(dir.resolve("pgpool.log"));
      } catch (IOException e) {
        return e.toString();
      }
    }
  }

  private static Pgpool startPgpool(PostgresConfig c1, PostgresConfig c2) throws IOException {
    Path dir = pg.dataDirectory("pgpool");
    Files.createDirectories(dir);
    int[] ports = Ports.free(2);
    // The configuration the README recommends, plus what a test needs (own ports, directories).
    Path conf = Files.writeString(dir.resolve("pgpool.conf"), """
        backend_clustering_mode = 'streaming_replication'
        listen_addresses = '127.0.0.1'
        port = %d
        unix_socket_directories = '%s'
        pcp_listen_addresses = '127.0.0.1'
        pcp_port = %d
        pcp_socket_dir = '%s'
        pid_file_name = '%s/pgpool.pid'
        logdir = '%s'
        backend_hostname0 = '127.0.0.1'
        backend_port0 = %d
        backend_weight0 = 1
        backend_flag0 = 'ALLOW_TO_FAILOVER'
        backend_application_name0 = 'pg1'
        backend_hostname1 = '127.0.0.1'
        backend_port1 = %d
        backend_weight1 = 1
        backend_flag1 = 'ALLOW_TO_FAILOVER'
        backend_application_name1 = 'pg2'
        num_init_children = 4
        max_pool = 2
        enable_pool_hba = off
        pool_passwd = '%s'
        failover_command = ''
        follow_primary_command = ''
        failover_on_backend_error = off
        detach_false_primary = off
        sr_check_period = 1
        sr_check_user = 'app'
        health_check_user = 'app'
        auto_failback = on
        auto_failback_interval = 1
        load_balance_mode = on
        %s""".formatted(ports[0], dir, ports[1], dir, dir, dir, c1.port(), c2.port(), dir.resolve("pool_passwd"),
        HEALTH_CHECK));
    Files.writeString(dir.resolve("pool_passwd"), "app:TEXTapp-pw\n");
    Path pcpConf = Files.writeString(dir.resolve("pcp.conf"), "pcpadmin:" + md5("pcp-pw") + "\n");
    Path pcpPass = Files.writeString(dir.resolve("pcppass"), "127.0.0.1:" + ports[1] + ":pcpadmin:pcp-pw\n");
    Files.setPosixFilePermissions(pcpPass, PosixFilePermissions.fromString("rw-------"));
    PgSandbox.osUser().ifPresent(u -> assertThat(PgSandbox.run(List.of("chown", "-R", u + ":", dir.toString()))).isZero());
    List<String> cmd = new ArrayList<>();
    PgSandbox.osUser().ifPresent(u -> cmd.addAll(List.of("setpriv", "--reuid=" + u, "--regid=" + u, "--init-groups")));
    // -n: in the foreground, so the PID is pgpool's main process; -D: no status file from a previous run.
    cmd.addAll(List.of(BIN.resolve("pgpool").toString(), "-n", "-D", "-f", conf.toString(), "-F", pcpConf.toString()));
    // Started in its directory: the sandbox kills whatever still runs there after the test, children included.
    Process process = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(dir.resolve("pgpool.log").toFile()).start();
    pg.closeAfterTest(() -> stop(process));
    return new Pgpool(ports[0], ports[1], pcpPass, dir);
  }

  /** SIGTERM to pgpool's main process (it stops its children), then SIGKILL to whatever is left. */
  private static void stop(Process process) throws InterruptedException {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
    children.forEach(ProcessHandle::destroyForcibly);
  }

  private static String md5(String text) {
    try {
      byte[] d = java.security.MessageDigest.getInstance("MD5").digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(d);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static Upstream upstream(String member, PostgresAdapter adapter) {
    return new Upstream(MemberId.of(member), adapter.attributes());
  }

  private static void awaitStreaming(PostgresConfig primary, String standby) {
    Await.until(standby + " streaming from " + primary.port(), WAIT, () -> "1".equals(Db.valueOrNull(primary,
        "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND application_name = '" + standby + "'")));
  }

  private static Connection connect(int port) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "app");
    p.setProperty("password", "app-pw");
    p.setProperty("connectTimeout", "2");
    p.setProperty("socketTimeout", "5");
    p.setProperty("loginTimeout", "3");
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
  }

  /** Inserts a row through pgpool; returns the port of the server that took it. */
  private static int write(int port, int id) throws SQLException {
    try (Connection c = connect(port); Statement s = c.createStatement();
        ResultSet r = s.executeQuery("INSERT INTO orders VALUES (" + id + ", current_setting('port')::int) RETURNING written_on")) {
      r.next();
      return r.getInt(1);
    }
  }

  private static Optional<Integer> writeOrError(int port, int id) {
    try {
      return Optional.of(write(port, id));
    } catch (SQLException e) {
      return Optional.empty();
    }
  }

  private static Optional<Integer> serverPort(int port) {
    try (Connection c = connect(port); Statement s = c.createStatement(); ResultSet r = s.executeQuery("SHOW port")) {
      r.next();
      return Optional.of(r.getInt(1));
    } catch (SQLException e) {
      return Optional.empty();
    }
  }
}

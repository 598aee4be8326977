package io.ratisfailover.postgres;

import static io.ratisfailover.postgres.testing.PgSandbox.topology;
import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.postgres.testing.Db;
import io.ratisfailover.postgres.testing.PgSandbox;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Debian's PgBouncer in front of two real PostgreSQL servers: the role-change action repoints it
 * from the first to the second, and a client connected through PgBouncer before the change keeps
 * its connection and lands on the second server.
 */
class PgBouncerTest {
  @RegisterExtension
  static final PgSandbox pg = new PgSandbox();
  private static final Path BINARY = Path.of("/usr/sbin/pgbouncer");
  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void aPromotionRepointsPgBouncerWhileItsClientsStayConnected() throws Exception {
    Assumptions.assumeTrue(Files.isExecutable(BINARY),
        "pgbouncer is not installed: install Debian's package 'pgbouncer' (scripts/prerequisites.sh does)");
    PostgresConfig c1 = pg.config(pg.copyOfTemplate("pg1")).build();
    PostgresConfig c2 = pg.config(pg.copyOfTemplate("pg2")).build();
    pg.adapter("pg1", c1).startPrimary(topology(1));
    pg.adapter("pg2", c2).startPrimary(topology(1));
    for (PostgresConfig c : List.of(c1, c2)) {
      Db.execute(c, "CREATE ROLE app LOGIN PASSWORD 'app-pw'");
    }

    Path dir = pg.dataDirectory("pgbouncer");
    Files.createDirectories(dir);
    int port = Ports.free(1)[0];
    Path databases = Files.writeString(dir.resolve("databases.ini"),
        "[databases]\norders = host=127.0.0.1 port=" + c1.port() + " dbname=postgres\n");
    Files.writeString(dir.resolve("userlist.txt"), "\"app\" \"app-pw\"\n\"admin\" \"admin-pw\"\n");
    Path ini = Files.writeString(dir.resolve("pgbouncer.ini"), """
        %%include %s
        [pgbouncer]
        listen_addr = 127.0.0.1
        listen_port = %d
        unix_socket_dir =
        auth_type = plain
        auth_file = %s
        admin_users = admin
        pool_mode = transaction
        ignore_startup_parameters = extra_float_digits
        logfile = %s
        """.formatted(databases, port, dir.resolve("userlist.txt"), dir.resolve("pgbouncer.log")));
    PgSandbox.osUser().ifPresent(u -> assertThat(PgSandbox.run(List.of("chown", "-R", u + ":", dir.toString()))).isZero());
    List<String> cmd = new ArrayList<>();
    PgSandbox.osUser().ifPresent(u -> cmd.addAll(List.of("setpriv", "--reuid=" + u, "--regid=" + u, "--init-groups")));
    cmd.addAll(List.of(BINARY.toString(), ini.toString()));
    Process bouncer = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile())
        .start();
    pg.closeAfterTest(() -> {
      bouncer.destroy();
      if (!bouncer.waitFor(5, TimeUnit.SECONDS)) {
        bouncer.destroyForcibly();
      }
    });
    Await.until("pgbouncer to accept connections", WAIT, () -> serverPort(port).isPresent(),
        () -> "pgbouncer " + (bouncer.isAlive() ? "running" : "exited") + "; log: " + log(dir));
    assertThat(serverPort(port)).contains(c1.port());

    try (Connection client = connect(port); Statement s = client.createStatement()) {
      assertThat(port(s)).isEqualTo(c1.port());
      PgBouncer action = new PgBouncer(new PgBouncer.Config("127.0.0.1", port, "admin", "admin-pw", databases,
          Map.of("orders", "dbname=postgres"), Duration.ofSeconds(5), "psql"));
      assertThat(action.retarget("127.0.0.1", c2.port())).isTrue();
      assertThat(Files.readString(databases)).contains("orders = host=127.0.0.1 port=" + c2.port() + " dbname=postgres");
      // The same client connection, with its next transaction, lands on the new server.
      assertThat(port(s)).isEqualTo(c2.port());
    }
    assertThat(serverPort(port)).contains(c2.port());

    PgBouncer unreachable = new PgBouncer(new PgBouncer.Config("127.0.0.1", Ports.free(1)[0], "admin", "admin-pw",
        databases, Map.of("orders", "dbname=postgres"), Duration.ofSeconds(1), "psql"));
    assertThat(unreachable.retarget("127.0.0.1", c1.port())).isFalse();
  }

  private static Connection connect(int port) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "app");
    p.setProperty("password", "app-pw");
    p.setProperty("connectTimeout", "2");
    p.setProperty("socketTimeout", "10");
    // Transaction pooling: no server-side prepared statements across transactions.
    p.setProperty("preferQueryMode", "simple");
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/orders", p);
  }

  private static int port(Statement s) throws SQLException {
    try (ResultSet r = s.executeQuery("SHOW port")) {
      r.next();
      return Integer.parseInt(r.getString(1));
    }
  }

  private static java.util.Optional<Integer> serverPort(int bouncerPort) {
    try (Connection c = connect(bouncerPort); Statement s = c.createStatement()) {
      return java.util.Optional.of(port(s));
    } catch (SQLException e) {
      return java.util.Optional.empty();
    }
  }

  private static String log(Path dir) {
    try {
      return Files.readString(dir.resolve("stdout.log")) + Files.readString(dir.resolve("pgbouncer.log"));
    } catch (IOException e) {
      return e.toString();
    }
  }
}

package io.ratisfailover.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.ratisfailover.postgres.PostgresConfig;
import io.ratisfailover.postgres.testing.PgSandbox;
import io.ratisfailover.testing.Ports;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code rfctl query} against a real PostgreSQL server, found through a stand-in member API whose
 * {@code /cluster} lists it after a member whose server is down.
 */
class CtlQueryTest {
  @RegisterExtension
  static final PgSandbox pg = new PgSandbox();

  HttpServer api;
  String url;
  @RegisterExtension final ConsoleCapture console = new ConsoleCapture();
  final ByteArrayOutputStream out = console.out;
  final ByteArrayOutputStream err = console.err;

  @BeforeEach
  void start() throws Exception {
    PostgresConfig pg1 = pg.config(pg.copyOfTemplate("pg1")).build();
    pg.adapter("pg1", pg1).startPrimary(PgSandbox.topology(1));
    int down = Ports.free(1)[0];
    String cluster = """
        {"scope": "orders", "epoch": 1, "members": [
          {"name": "pg0", "kind": "data", "host": "127.0.0.1", "port": %d, "role": "replica", "state": "stopped"},
          {"name": "pg1", "kind": "data", "host": "127.0.0.1", "port": %d, "role": "leader", "state": "running"},
          {"name": "w1", "kind": "witness", "role": "witness", "state": "running"}]}
        """.formatted(down, pg1.port());
    api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    api.createContext("/cluster", exchange -> {
      byte[] bytes = cluster.getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, bytes.length);
      exchange.getResponseBody().write(bytes);
      exchange.close();
    });
    api.start();
    url = "http://127.0.0.1:" + api.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    api.stop(0);
  }

  int query(String... args) {
    String[] all = new String[args.length + 7];
    String[] head = {"--url", url, "--timeout", "5", "query", "--db-password", PgSandbox.SUPERUSER_PASSWORD};
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(args, 0, all, head.length, args.length);
    return Ctl.run(all);
  }

  String out() {
    return console.out();
  }

  @Test
  void runsOnThePrimaryAndPrintsATable() {
    assertThat(query("-c", "SELECT pg_is_in_recovery() AS standby, 'x' AS label, NULL AS nothing")).as(err.toString()).isZero();
    assertThat(out()).contains("| standby | label | nothing |", "| f       | x     |         |");
  }

  @Test
  void printsJsonAndReportsStatementsWithoutRows() {
    assertThat(Ctl.run("--url", url, "-f", "json", "query", "--db-password", PgSandbox.SUPERUSER_PASSWORD,
        "-c", "SELECT 1 AS one")).isZero();
    assertThat(out()).contains("\"one\" : \"1\"");
    out.reset();
    assertThat(query("-c", "CREATE TABLE t AS SELECT generate_series(1, 3) AS id")).isZero();
    assertThat(query("-c", "DELETE FROM t WHERE id < 3")).isZero();
    assertThat(out()).endsWith("2 rows affected\n");
  }

  @Test
  void aNamedMemberIsQueriedItselfAndItsFailureIsOneLine() {
    assertThat(query("--member", "pg1", "-c", "SELECT current_setting('port')")).isZero();
    out.reset();
    assertThat(query("--member", "pg0", "-c", "SELECT 1")).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("rfctl: query on pg0 failed: ").doesNotContain("\n\t");
    err.reset();
    assertThat(query("--member", "w1", "-c", "SELECT 1")).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("rfctl: member w1 publishes no PostgreSQL address\n");
  }
}

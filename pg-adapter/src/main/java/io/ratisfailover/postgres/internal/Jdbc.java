package io.ratisfailover.postgres.internal;

import io.ratisfailover.postgres.PostgresConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;

/**
 * Opens PostgreSQL connections that always carry timeouts: connect, login and socket on the client
 * (the driver counts them in whole seconds) and {@code statement_timeout} on the server. A
 * connection without them could hang the agent's database thread on a frozen server.
 */
public final class Jdbc {
  private Jdbc() {}

  /** Driver properties for a connection as {@code credentials} with the given bounds. */
  public static Properties properties(PostgresConfig.Credentials credentials, Duration connectTimeout,
      Duration socketTimeout, Duration statementTimeout, String applicationName) {
    Properties p = new Properties();
    p.setProperty("user", credentials.user());
    p.setProperty("password", credentials.password());
    p.setProperty("connectTimeout", Long.toString(seconds(connectTimeout)));
    p.setProperty("loginTimeout", Long.toString(seconds(connectTimeout)));
    p.setProperty("socketTimeout", Long.toString(seconds(socketTimeout)));
    p.setProperty("tcpKeepAlive", "true");
    p.setProperty("ApplicationName", applicationName);
    // Our own sessions never wait for synchronous standbys: they only record metadata.
    p.setProperty("options", "-c statement_timeout=" + statementTimeout.toMillis() + " -c synchronous_commit=local");
    return p;
  }

  /** Physical replication protocol connection (IDENTIFY_SYSTEM, TIMELINE_HISTORY, CREATE_REPLICATION_SLOT). */
  public static Properties replicationProperties(PostgresConfig.Credentials credentials, Duration connectTimeout,
      Duration socketTimeout, String applicationName) {
    Properties p = new Properties();
    p.setProperty("user", credentials.user());
    p.setProperty("password", credentials.password());
    p.setProperty("connectTimeout", Long.toString(seconds(connectTimeout)));
    p.setProperty("loginTimeout", Long.toString(seconds(connectTimeout)));
    p.setProperty("socketTimeout", Long.toString(seconds(socketTimeout)));
    p.setProperty("ApplicationName", applicationName);
    p.setProperty("replication", "true");
    p.setProperty("assumeMinServerVersion", "9.4");
    p.setProperty("preferQueryMode", "simple");
    return p;
  }

  /** Makes {@code p} verify the server's certificate, when TLS between members is configured. */
  public static Properties withSsl(Properties p, PostgresConfig config) {
    config.ssl().ifPresent(ssl -> {
      p.setProperty("sslmode", ssl.verify().sslmode());
      p.setProperty("sslrootcert", ssl.ca().toString());
    });
    return p;
  }

  public static String url(String host, int port) {
    return url(host, port, "postgres");
  }

  public static String url(String host, int port, String database) {
    String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    return "jdbc:postgresql://" + h + ":" + port + "/" + java.net.URLEncoder.encode(database,
        java.nio.charset.StandardCharsets.UTF_8);
  }

  public static Connection open(String host, int port, Properties properties) throws SQLException {
    return DriverManager.getConnection(url(host, port), properties);
  }

  /** A session in {@code database} rather than {@code postgres}. */
  public static Connection open(String host, int port, String database, Properties properties) throws SQLException {
    return DriverManager.getConnection(url(host, port, database), properties);
  }

  /** Whole seconds, rounded up, at least one: pgjdbc's timeouts have no finer unit and 0 means none. */
  public static long seconds(Duration d) {
    return Math.max(1, (d.toMillis() + 999) / 1000);
  }
}

package io.ratisfailover.postgres.testing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ratisfailover.postgres.PostgresConfig;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The HikariCP pool the README recommends for clients without HAProxy: a pgjdbc multi-host URL with
 * {@code targetServerType=primary}, so the driver finds the primary itself, and short connect and
 * validation timeouts, so the pool drops a dead primary's connections and reaches the new one soon.
 */
public final class PrimaryPool {
  private PrimaryPool() {}

  /** The multi-host URL over {@code members}' servers. */
  public static String url(List<PostgresConfig> members, int hostRecheckSeconds) {
    return "jdbc:postgresql://" + members.stream().map(m -> m.localHost() + ":" + m.port()).collect(Collectors.joining(","))
        + "/postgres?targetServerType=primary&hostRecheckSeconds=" + hostRecheckSeconds
        + "&connectTimeout=2&socketTimeout=30&tcpKeepAlive=true";
  }

  /** A pool over {@code members}' servers, as the superuser; close it after use. */
  public static HikariDataSource create(List<PostgresConfig> members, int hostRecheckSeconds) {
    HikariConfig h = new HikariConfig();
    h.setPoolName("primary-pool");
    h.setJdbcUrl(url(members, hostRecheckSeconds));
    h.setUsername(members.get(0).superuser().user());
    h.setPassword(members.get(0).superuser().password());
    h.setMaximumPoolSize(4);
    h.setConnectionTimeout(10_000);
    h.setValidationTimeout(1_000);
    h.setKeepaliveTime(60_000);
    h.setMaxLifetime(600_000);
    return new HikariDataSource(h);
  }
}

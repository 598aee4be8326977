package io.ratisfailover.postgres;

import io.ratisfailover.LocalRole;
import io.ratisfailover.RoleListener;
import io.ratisfailover.postgres.internal.Jdbc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Repoints a PgBouncer at a new primary, as a role-change action: {@code PAUSE} each database
 * (waiting, at most {@code timeout}, for running queries), rewrite the {@code [databases]} file that
 * PgBouncer's configuration includes ({@code %include}), {@code RELOAD}, {@code RESUME}. Clients stay
 * connected and see a short wait instead of errors. A failure is logged and never delays failover;
 * a database is never left paused.
 *
 * <p>PgBouncer needs {@code ignore_startup_parameters = extra_float_digits} (as for any JDBC client)
 * and this member's user in {@code admin_users}; the databases file must be writable by this member.
 */
public final class PgBouncer {
  private static final Logger log = LoggerFactory.getLogger(PgBouncer.class);

  /**
   * @param host where PgBouncer's admin console listens
   * @param adminUser a user in PgBouncer's {@code admin_users}
   * @param databasesFile the file PgBouncer's configuration includes, rewritten whole on each change
   * @param databases each PgBouncer database name and the rest of its connection string besides
   *     {@code host} and {@code port} (for example {@code dbname=orders})
   * @param timeout bound on each admin command; {@code PAUSE} waits at most this long for queries
   */
  public record Config(String host, int port, String adminUser, String adminPassword, Path databasesFile,
      Map<String, String> databases, Duration timeout) {
    public Config {
      Objects.requireNonNull(host, "pgbouncer.host");
      Objects.requireNonNull(adminUser, "pgbouncer.admin_user");
      Objects.requireNonNull(adminPassword, "pgbouncer.admin_password");
      Objects.requireNonNull(databasesFile, "pgbouncer.databases_file");
      Objects.requireNonNull(timeout, "pgbouncer.timeout");
      databases = Map.copyOf(new TreeMap<>(databases));
      if (databases.isEmpty()) {
        throw new IllegalArgumentException("pgbouncer.databases must name at least one database");
      }
      for (Map.Entry<String, String> d : databases.entrySet()) {
        if (!d.getKey().matches("[A-Za-z0-9_]+") || d.getValue().contains("\n")) {
          throw new IllegalArgumentException("pgbouncer.databases: '" + d.getKey()
              + "' must be a plain name (letters, digits, '_') with a one-line connection string");
        }
      }
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("pgbouncer.timeout must be positive, got " + timeout);
      }
    }

    @Override
    public String toString() {
      return "PgBouncer[" + host + ":" + port + ", admin " + adminUser + ", " + databasesFile + ", " + databases.keySet() + "]";
    }
  }

  private final Config config;

  public PgBouncer(Config config) {
    this.config = config;
  }

  /**
   * A listener that repoints PgBouncer at {@code host:port} (this member's PostgreSQL) when this
   * member becomes the primary; register it with {@code FailoverMember.Builder.roleListener}.
   */
  public RoleListener onPromotion(String host, int port) {
    return change -> {
      if (change.to() == LocalRole.PRIMARY) {
        retarget(host, port);
      }
    };
  }

  /**
   * Points every configured database at {@code host:port}.
   *
   * @return whether PgBouncer took the new target (the file was written and reloaded)
   */
  public boolean retarget(String host, int port) {
    long start = System.nanoTime();
    String h = config.host().contains(":") && !config.host().startsWith("[") ? "[" + config.host() + "]" : config.host();
    try (Connection admin = DriverManager.getConnection("jdbc:postgresql://" + h + ":" + config.port() + "/pgbouncer",
        properties());
        Statement s = admin.createStatement()) {
      boolean paused = pause(s);
      try {
        writeDatabases(host, port);
        s.execute("RELOAD");
      } finally {
        if (paused) {
          resume(s);
        }
      }
      log.info("pgbouncer {}:{}: databases {} now point at {}:{} ({} ms{})", config.host(), config.port(),
          config.databases().keySet(), host, port, (System.nanoTime() - start) / 1_000_000,
          paused ? "" : ", without a pause");
      return true;
    } catch (SQLException | IOException e) {
      log.warn("pgbouncer {}:{}: could not point databases {} at {}:{}: {}", config.host(), config.port(),
          config.databases().keySet(), host, port, e.getMessage());
      return false;
    }
  }

  /** Pauses every database; false (with nothing left paused) when PgBouncer did not pause them all in time. */
  private boolean pause(Statement s) {
    try {
      for (String db : config.databases().keySet()) {
        s.execute("PAUSE " + db);
      }
      return true;
    } catch (SQLException e) {
      log.warn("pgbouncer {}:{}: PAUSE did not complete ({}): repointing without it", config.host(), config.port(),
          e.getMessage());
      resume(s);
      return false;
    }
  }

  private void resume(Statement s) {
    for (String db : config.databases().keySet()) {
      try {
        s.execute("RESUME " + db);
      } catch (SQLException e) {
        // Not paused (PAUSE failed before it), or the console is gone: nothing is left paused by us.
        log.debug("pgbouncer {}:{}: RESUME {}: {}", config.host(), config.port(), db, e.getMessage());
      }
    }
  }

  private void writeDatabases(String host, int port) throws IOException {
    StringBuilder text = new StringBuilder("; written by ratis-failover on each change of primary\n[databases]\n");
    config.databases().forEach((name, rest) -> text.append(name).append(" = host=").append(host).append(" port=")
        .append(port).append(rest.isBlank() ? "" : " " + rest.strip()).append('\n'));
    Path file = config.databasesFile();
    Path temp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(temp, text, StandardCharsets.UTF_8);
    // PgBouncer must still read it: the new file takes the old one's mode and (when allowed) owner.
    if (Files.exists(file)) {
      Files.setPosixFilePermissions(temp, Files.getPosixFilePermissions(file));
      try {
        Files.setOwner(temp, Files.getOwner(file));
      } catch (IOException e) {
        log.debug("pgbouncer: cannot give {} the owner of {}: {}", temp, file, e.getMessage());
      }
    }
    Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private Properties properties() {
    Properties p = new Properties();
    p.setProperty("user", config.adminUser());
    p.setProperty("password", config.adminPassword());
    long seconds = Jdbc.seconds(config.timeout());
    p.setProperty("connectTimeout", Long.toString(seconds));
    p.setProperty("loginTimeout", Long.toString(seconds));
    p.setProperty("socketTimeout", Long.toString(seconds));
    // The admin console speaks only the simple query protocol and refuses SET. It reports PgBouncer's
    // version, which the driver takes for an old server and would SET what newer ones take at startup:
    // extra_float_digits (the assumed version avoids it) and application_name (so none is given).
    p.setProperty("preferQueryMode", "simple");
    p.setProperty("assumeMinServerVersion", "9.4");
    return p;
  }
}

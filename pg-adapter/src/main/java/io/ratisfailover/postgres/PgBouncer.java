package io.ratisfailover.postgres;

import io.ratisfailover.LocalRole;
import io.ratisfailover.RoleChange;
import io.ratisfailover.RoleListener;
import io.ratisfailover.postgres.internal.ToolRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Repoints a PgBouncer at a new primary, as a role-change action: {@code PAUSE} each database
 * (waiting, at most {@code timeout}, for running queries), rewrite the {@code [databases]} file that
 * PgBouncer's configuration includes ({@code %include}), {@code RELOAD}, {@code RESUME}. Clients stay
 * connected and see a short wait instead of errors. A failure is logged and never delays failover
 * (role listeners run on their own executor); a database is never left paused by it, and the file
 * names the new primary even when PgBouncer could not be told, for its next reload.
 *
 * <p>It talks to PgBouncer's admin console with {@code psql}: the JDBC driver cannot, as it sends
 * {@code SET extra_float_digits} to a server reporting PgBouncer's version, and the console refuses SET.
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
   * @param psql the {@code psql} program: a path, or a name looked up on {@code PATH}
   */
  public record Config(String host, int port, String adminUser, String adminPassword, Path databasesFile,
      Map<String, String> databases, Duration timeout, String psql) {
    public Config {
      Objects.requireNonNull(adminPassword, "pgbouncer.admin_password");
      Objects.requireNonNull(databasesFile, "pgbouncer.databases_file");
      Objects.requireNonNull(timeout, "pgbouncer.timeout");
      Objects.requireNonNull(psql, "pgbouncer.psql");
      databases = Map.copyOf(new TreeMap<>(databases));
      for (String name : List.of(String.valueOf(host), String.valueOf(adminUser))) {
        if (!name.matches("[A-Za-z0-9_.:-]+")) {
          throw new IllegalArgumentException("pgbouncer.host and pgbouncer.admin_user must be plain names, got '" + name + "'");
        }
      }
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
   * member becomes the primary; register it with {@code FailoverMember.Builder.roleListener}. The
   * work runs on {@code executor}, never on the thread that reports the change: by default that is
   * the agent's own, and each PgBouncer command may take up to the timeout.
   */
  public RoleListener onPromotion(String host, int port, Executor executor) {
    AtomicReference<RoleChange> latest = new AtomicReference<>();
    return change -> {
      latest.set(change);
      if (change.to() == LocalRole.PRIMARY) {
        try {
          executor.execute(() -> {
            // Queued behind a slow one: this member may have lost the role since.
            if (latest.get() == change) {
              retarget(host, port);
            }
          });
        } catch (RejectedExecutionException e) {
          log.warn("member {} (epoch {}): PgBouncer not repointed at {}:{}: the action's executor refused it ({})",
              change.member(), change.epoch(), host, port, e.getMessage());
        }
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
    boolean paused = false;
    try {
      paused = pause();
      writeDatabases(host, port);
      admin(List.of("RELOAD"));
      log.info("pgbouncer {}:{}: databases {} now point at {}:{} ({} ms{})", config.host(), config.port(),
          config.databases().keySet(), host, port, (System.nanoTime() - start) / 1_000_000,
          paused ? "" : ", without a pause");
      return true;
    } catch (IOException e) {
      log.warn("pgbouncer {}:{}: could not point databases {} at {}:{}: {}", config.host(), config.port(),
          config.databases().keySet(), host, port, e.getMessage());
      return false;
    } finally {
      resume();
    }
  }

  /** Pauses every database; false when PgBouncer did not pause them all in time. */
  private boolean pause() {
    try {
      admin(config.databases().keySet().stream().map(db -> "PAUSE " + db).toList());
      return true;
    } catch (IOException e) {
      log.warn("pgbouncer {}:{}: PAUSE did not complete ({}): repointing without it", config.host(), config.port(),
          e.getMessage());
      return false;
    }
  }

  /** Resumes every database, each on its own: one that is not paused refuses, which is fine. */
  private void resume() {
    for (String db : config.databases().keySet()) {
      try {
        admin(List.of("RESUME " + db));
      } catch (IOException e) {
        log.debug("pgbouncer {}:{}: RESUME {}: {}", config.host(), config.port(), db, e.getMessage());
      }
    }
  }

  /** Runs admin console commands in one session, stopping at the first error; bounded by the timeout. */
  private void admin(List<String> commands) throws IOException {
    long seconds = Math.max(1, (config.timeout().toMillis() + 999) / 1000);
    List<String> cmd = new ArrayList<>(List.of(config.psql(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
        "host=" + config.host() + " port=" + config.port() + " dbname=pgbouncer user=" + config.adminUser()
            + " connect_timeout=" + seconds));
    commands.forEach(c -> cmd.addAll(List.of("-c", c)));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    // As every PostgreSQL tool the agent runs: none of the agent's environment (it may hold the API
    // password or other secrets), only the password psql needs.
    ToolRunner.cleanEnvironment(pb.environment());
    pb.environment().put("PGPASSWORD", config.adminPassword());
    Process p = pb.start();
    try {
      if (!p.waitFor(config.timeout().toNanos(), TimeUnit.NANOSECONDS)) {
        p.destroyForcibly();
        throw new IOException(commands + ": no answer within " + config.timeout().toMillis() + " ms");
      }
      if (p.exitValue() != 0) {
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        throw new IOException(commands + ": " + out.replace('\n', ' '));
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException(commands + ": interrupted", e);
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
}

package io.ratisfailover.postgres;

import static io.ratisfailover.postgres.AdapterContext.STATEMENT;
import static io.ratisfailover.postgres.AdapterContext.io;
import static io.ratisfailover.postgres.AdapterContext.log;

import io.ratisfailover.postgres.AdapterContext.Environment;
import io.ratisfailover.postgres.internal.ControlData;
import io.ratisfailover.postgres.internal.MemberState;
import io.ratisfailover.postgres.internal.ServerConfiguration;
import io.ratisfailover.postgres.internal.ServerFiles;
import io.ratisfailover.spi.DatabaseException;
import io.ratisfailover.spi.PrimaryTopology;
import java.io.IOException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Optional;

/**
 * Creating a new cluster: {@code initdb}, the adapter's configuration, the first start as primary,
 * then the replication role and slots (Patroni's {@code bootstrap.py}, without the clone, which is
 * the standby procedures'); or, when so configured, a restore from a backup with
 * {@link BackupRestore} instead of {@code initdb}. Repeatable until {@code member.state} records
 * that it finished.
 */
final class Bootstrap {
  private final AdapterContext ctx;
  private final ServerControl control;
  private final PrimarySetup primary;
  private final BackupRestore restore;

  Bootstrap(AdapterContext ctx, ServerControl control, PrimarySetup primary, BackupRestore restore) {
    this.ctx = ctx;
    this.control = control;
    this.primary = primary;
    this.restore = restore;
  }

  /** {@link io.ratisfailover.spi.DatabaseAdapter#bootstrap}: a new cluster, or the one this member created, as primary. */
  void bootstrap(PrimaryTopology topology) throws DatabaseException {
    ctx.epoch(topology.epoch());
    Environment env = ctx.environment();
    ServerFiles files = env.files();
    long decidedAt = ctx.postmaster.generation();
    Optional<BackupConfig.RecoveryTarget> fromBackup = ctx.config.backup().flatMap(BackupConfig::bootstrap);
    if (files.hasCluster()) {
      Optional<MemberState> mine = ctx.state(files);
      if (mine.isEmpty()) {
        ControlData cd = ctx.controlData(env);
        throw new DatabaseException(DatabaseException.Kind.DATA_MISMATCH, "data directory " + files.directory()
            + " already holds a PostgreSQL cluster (system identifier " + cd.systemIdentifier()
            + ") that member " + ctx.self + " did not create; bootstrap only creates new clusters. Move it away, or"
            + " start the cluster so that this member adopts it as a standby");
      }
      if (fromBackup.isPresent() && !mine.get().bootstrapped() && files.exists(ServerFiles.RECOVERY_SIGNAL)) {
        log.info("member {} epoch {}: bootstrap: the restored cluster has not finished its recovery; resuming it", ctx.self,
            ctx.epoch());
        restore.recover(env, decidedAt, fromBackup.get());
        finishBootstrap(env, topology);
        return;
      }
      log.info("member {} epoch {}: bootstrap: the cluster exists already; making sure it runs as primary", ctx.self, ctx.epoch());
      primary.startPrimaryWithin(env, topology, decidedAt, mine.get().bootstrapped());
      finishBootstrap(env, topology);
      return;
    }
    requireEmpty(files, "bootstrap a new cluster");
    try {
      files.createDirectory();
    } catch (IOException e) {
      throw io("create the data directory " + files.directory(), e);
    }
    if (fromBackup.isPresent()) {
      restore.restore(env, decidedAt, fromBackup.get());
      finishBootstrap(env, topology);
      log.info("member {} epoch {}: bootstrap from a backup done", ctx.self, ctx.epoch());
      return;
    }
    log.info("member {} epoch {}: bootstrap: initdb into {}", ctx.self, ctx.epoch(), files.directory());
    env.tools().initdb(files.directory());
    try {
      if (files.exists("postgresql.conf") && !files.exists(ServerConfiguration.BASE_FILE)) {
        files.rename("postgresql.conf", ServerConfiguration.BASE_FILE);
      }
      ctx.writeServerConfig(files, ServerConfiguration.Role.primary(ctx.syncNames(topology)));
      files.writeState(new MemberState(ctx.self, Optional.empty(), false));
      ctx.forgetState();
    } catch (IOException e) {
      throw io("write the configuration of the new cluster", e);
    }
    ctx.requireLease("starting the new cluster as primary");
    control.startServer(env, decidedAt, true);
    finishBootstrap(env, topology);
    log.info("member {} epoch {}: bootstrap done; primary on timeline 1", ctx.self, ctx.epoch());
  }

  /** The roles and slots a new cluster needs; repeatable until it records that it finished. */
  private void finishBootstrap(Environment env, PrimaryTopology topology) throws DatabaseException {
    PostgresConfig.Credentials repl = ctx.config.replication();
    ctx.local.call("create the replication role", STATEMENT, c -> {
      boolean exists;
      try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
        ps.setString(1, repl.user());
        try (ResultSet r = ps.executeQuery()) {
          exists = r.next();
        }
      }
      try (Statement s = c.createStatement()) {
        // The password must not reach the server's log even with log_statement = 'all'.
        s.execute("SET log_statement = 'none'");
        s.execute("SET log_min_error_statement = 'panic'");
        s.execute((exists ? "ALTER ROLE " : "CREATE ROLE ") + ident(repl.user()) + " WITH REPLICATION LOGIN PASSWORD "
            + literal(repl.password()));
        s.execute("RESET log_statement");
        s.execute("RESET log_min_error_statement");
      }
      return null;
    });
    primary.configurePrimary(topology);
    try {
      env.files().writeState(new MemberState(ctx.self, Optional.empty(), true));
      ctx.forgetState();
    } catch (IOException e) {
      throw io("record that bootstrap finished", e);
    }
  }

  private void requireEmpty(ServerFiles files, String what) throws DatabaseException {
    try {
      if (!files.isEmpty()) {
        throw new DatabaseException(DatabaseException.Kind.DATA_MISMATCH, "cannot " + what + " in " + files.directory()
            + ": it is not empty but holds no PostgreSQL cluster; empty it first");
      }
    } catch (IOException e) {
      throw io("read " + files.directory(), e);
    }
  }

  private static String ident(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  private static String literal(String value) {
    return "'" + value.replace("'", "''") + "'";
  }
}

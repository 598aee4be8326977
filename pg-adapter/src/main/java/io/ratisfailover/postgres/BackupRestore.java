package io.ratisfailover.postgres;

import static io.ratisfailover.postgres.AdapterContext.STATEMENT;
import static io.ratisfailover.postgres.AdapterContext.io;
import static io.ratisfailover.postgres.AdapterContext.log;

import io.ratisfailover.MemberId;
import io.ratisfailover.postgres.AdapterContext.Environment;
import io.ratisfailover.postgres.internal.BackupTool;
import io.ratisfailover.postgres.internal.LocalDatabase;
import io.ratisfailover.postgres.internal.MemberState;
import io.ratisfailover.postgres.internal.Postmaster;
import io.ratisfailover.postgres.internal.ServerConfiguration;
import io.ratisfailover.postgres.internal.ServerFiles;
import io.ratisfailover.spi.DatabaseException;
import java.io.IOException;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A new cluster made from a backup (Patroni's custom bootstrap method, Stolon's {@code pitr} init
 * mode): the backup tool restores the newest backup that reaches the target into the empty data
 * directory; the server recovers from the archive up to the target and pauses there; the adapter
 * checks its lease and promotes it, and the cluster goes on as primary of a new timeline. Without a
 * target the server replays the whole archive and promotes itself at its end. Repeatable: a member
 * that stopped during the recovery starts it again.
 */
final class BackupRestore {
  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  private final AdapterContext ctx;
  private final ServerControl control;
  private final MemberId self;
  private final PostgresConfig config;
  private final Postmaster postmaster;
  private final LocalDatabase local;

  /** What the recovering server says of itself. */
  private enum Progress { REPLAYING, PAUSED_AT_TARGET, PROMOTED }

  BackupRestore(AdapterContext ctx, ServerControl control) {
    this.ctx = ctx;
    this.control = control;
    this.self = ctx.self;
    this.config = ctx.config;
    this.postmaster = ctx.postmaster;
    this.local = ctx.local;
  }

  /** Restores into the empty, existing data directory and recovers it to {@code target}, writable at the end. */
  void restore(Environment env, long decidedAt, BackupConfig.RecoveryTarget target) throws DatabaseException {
    BackupTool tool = env.backup().orElseThrow(() -> new DatabaseException(DatabaseException.Kind.MISCONFIGURED,
        "bootstrap from a backup needs a backup tool"));
    ServerFiles files = env.files();
    log.info("member {} epoch {}: bootstrap: restoring the newest backup of {} that reaches {} into {}", self,
        ctx.epoch(), tool.describe(), describe(target), files.directory());
    try {
      tool.restore(env.tools().runner(), target, config.provisionTimeout());
    } catch (DatabaseException e) {
      try {
        // Only what the restore wrote: bootstrap starts from an empty directory.
        files.removeContents();
      } catch (IOException io) {
        log.warn("member {} epoch {}: cannot empty {} after the failed restore: {}", self, ctx.epoch(),
            files.directory(), io.getMessage());
      }
      throw new DatabaseException(e.kind(), "cannot bootstrap from a backup: " + e.getMessage(), e);
    }
    ctx.forgetControlData();
    try {
      if (files.exists("postgresql.conf") && !files.exists(ServerConfiguration.BASE_FILE)) {
        files.rename("postgresql.conf", ServerConfiguration.BASE_FILE);
      }
      ctx.writeServerConfig(files, ServerConfiguration.Role.recovering(target));
      files.delete(ServerFiles.STANDBY_SIGNAL);
      files.write(ServerFiles.RECOVERY_SIGNAL, "");
      // The backup carries its old member's record; this member has not finished bootstrapping.
      files.writeState(new MemberState(self, Optional.empty(), false));
      ctx.forgetState();
    } catch (IOException e) {
      throw io("write the recovery configuration of the restored cluster", e);
    }
    recover(env, decidedAt, target);
  }

  /** Starts the restored cluster's recovery unless it runs, and promotes it once it paused at its target. */
  void recover(Environment env, long decidedAt, BackupConfig.RecoveryTarget target) throws DatabaseException {
    if (postmaster.running().isEmpty()) {
      control.awaitAllGone(env);
      ctx.requireLease("starting the restored cluster");
      control.startServer(env, decidedAt, false);
    }
    long deadline = System.nanoTime() + config.provisionTimeout().toNanos();
    boolean promoting = false;
    while (true) {
      if (postmaster.running().isEmpty()) {
        throw new DatabaseException(DatabaseException.Kind.FATAL, "the restored cluster stopped while it recovered to "
            + describe(target) + " (is the target after the end of the archive, or before the backup?); see "
            + config.serverLog());
      }
      Optional<Progress> now = progress();
      if (now.isPresent() && now.get() == Progress.PROMOTED) {
        break;
      }
      if (now.isPresent() && now.get() == Progress.PAUSED_AT_TARGET && !promoting) {
        ctx.requireLease("promoting the restored cluster");
        log.info("member {} epoch {}: bootstrap: recovery reached {}; promoting", self, ctx.epoch(), describe(target));
        local.call("promote the restored cluster", STATEMENT, c -> {
          try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_promote(false)");
          }
          return null;
        });
        promoting = true;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "the restored cluster did not finish its"
            + " recovery to " + describe(target) + " within " + config.provisionTimeout().toMinutes() + " min");
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
    log.info("member {} epoch {}: bootstrap: the restored cluster is writable on timeline {}", self, ctx.epoch(),
        local.observe(STATEMENT).timeline());
  }

  /** Empty while the server does not answer yet. */
  private Optional<Progress> progress() {
    try {
      return Optional.of(local.call("watch the recovery", STATEMENT, c -> {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT pg_is_in_recovery(),"
            + " pg_is_in_recovery() AND pg_is_wal_replay_paused()")) {
          r.next();
          return !r.getBoolean(1) ? Progress.PROMOTED : r.getBoolean(2) ? Progress.PAUSED_AT_TARGET : Progress.REPLAYING;
        }
      }));
    } catch (DatabaseException e) {
      return Optional.empty();
    }
  }

  private static String describe(BackupConfig.RecoveryTarget target) {
    return target.kind() == BackupConfig.RecoveryTarget.Kind.LATEST ? "the end of the archive"
        : target.kind().setting() + " " + target.value();
  }
}

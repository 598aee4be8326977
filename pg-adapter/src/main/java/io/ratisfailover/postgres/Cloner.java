package io.ratisfailover.postgres;

import static io.ratisfailover.postgres.AdapterContext.io;
import static io.ratisfailover.postgres.AdapterContext.log;

import io.ratisfailover.postgres.AdapterContext.Environment;
import io.ratisfailover.postgres.internal.BackupTool;
import io.ratisfailover.postgres.internal.ServerConfiguration;
import io.ratisfailover.postgres.internal.ServerFiles;
import io.ratisfailover.postgres.internal.SlotNames;
import io.ratisfailover.postgres.internal.UpstreamServer;
import io.ratisfailover.spi.DatabaseException;
import java.io.IOException;
import java.util.List;

/**
 * Making a standby's data directory (Patroni's {@code bootstrap.py} clone path, with its
 * {@code create_replica_methods}): a new member, a re-clone after a failed rewind, a reinitialize.
 * The methods are tried in the configured order: a restore of the newest backup from the backup
 * tool's repository, whose WAL since then comes from the archive, or a copy of the upstream with
 * {@code pg_basebackup}. A method that fails leaves an empty directory to the next.
 */
final class Cloner {
  private final AdapterContext ctx;

  Cloner(AdapterContext ctx) {
    this.ctx = ctx;
  }

  /**
   * Makes the empty data directory a copy of {@code up}'s cluster with the configured replica
   * methods, after making sure this member's slot on {@code up} keeps the WAL it will stream.
   */
  void clone(Environment env, UpstreamServer up) throws DatabaseException {
    ServerFiles files = env.files();
    log.info("member {} epoch {}: cloning {} into {}", ctx.self, ctx.epoch(), up.describe(), files.directory());
    try {
      files.createDirectory();
    } catch (IOException e) {
      throw io("create the data directory " + files.directory(), e);
    }
    String slot = SlotNames.of(ctx.self);
    try {
      up.ensureSlot(slot);
    } catch (DatabaseException e) {
      throw new DatabaseException(e.kind(), "cannot clone: " + e.getMessage(), e);
    }
    List<BackupConfig.ReplicaMethod> methods = ctx.config.backup().map(BackupConfig::replicaMethods)
        .orElse(List.of(BackupConfig.ReplicaMethod.BASEBACKUP));
    for (int i = 0; ; i++) {
      BackupConfig.ReplicaMethod method = methods.get(i);
      try {
        copy(env, up, slot, method);
        log.info("member {} epoch {}: made the data directory with {}", ctx.self, ctx.epoch(), describe(env, method));
        break;
      } catch (DatabaseException e) {
        if (i == methods.size() - 1) {
          throw e;
        }
        log.warn("member {} epoch {}: {} could not make the data directory ({}); trying {}", ctx.self, ctx.epoch(),
            describe(env, method), e.getMessage(), describe(env, methods.get(i + 1)));
        try {
          // Only what the failed method wrote: every caller hands over an empty directory.
          files.removeContents();
        } catch (IOException io) {
          throw io("empty " + files.directory() + " after a failed " + describe(env, method), io);
        }
      }
    }
    try {
      if (!files.exists(ServerConfiguration.BASE_FILE) && files.exists("postgresql.conf")) {
        files.rename("postgresql.conf", ServerConfiguration.BASE_FILE);
      }
    } catch (IOException e) {
      throw io("keep the cloned configuration", e);
    }
    ctx.forgetControlData();
    log.info("member {} epoch {}: cloned {}", ctx.self, ctx.epoch(), up.describe());
  }

  private void copy(Environment env, UpstreamServer up, String slot, BackupConfig.ReplicaMethod method)
      throws DatabaseException {
    switch (method) {
      case BACKUP_TOOL -> {
        BackupTool tool = env.backup().orElseThrow(() -> new DatabaseException(DatabaseException.Kind.MISCONFIGURED,
            "no backup tool is configured"));
        tool.restore(env.tools().runner(), BackupConfig.RecoveryTarget.LATEST, ctx.config.provisionTimeout());
        ctx.forgetControlData();
        // A stanza shared by mistake with another cluster must not produce a standby that can never stream.
        String restored = ctx.controlData(env).systemIdentifier();
        String theirs = up.identify().systemIdentifier();
        if (!restored.equals(theirs)) {
          throw new DatabaseException(DatabaseException.Kind.DATA_MISMATCH, "the backup restored from "
              + tool.describe() + " is of another cluster (system identifier " + restored + ", upstream "
              + up.describe() + " has " + theirs + ")");
        }
      }
      case BASEBACKUP -> env.tools().baseBackup(env.files().directory(), up, slot);
    }
  }

  private static String describe(Environment env, BackupConfig.ReplicaMethod method) {
    return switch (method) {
      case BACKUP_TOOL -> "a restore by " + env.backup().map(BackupTool::describe).orElse("the backup tool");
      case BASEBACKUP -> "pg_basebackup";
    };
  }

  /** Empties a directory that is in a clone's way, when the configuration allows; refuses otherwise. */
  void prepareForClone(ServerFiles files) throws DatabaseException {
    try {
      if (files.isEmpty()) {
        return;
      }
    } catch (IOException e) {
      throw io("read the data directory " + files.directory(), e);
    }
    String what = files.incompleteClone() ? "holds an unfinished clone" : "is not empty but holds no PostgreSQL cluster";
    if (!ctx.config.allowDataDirectoryRemoval()) {
      throw new DatabaseException(DatabaseException.Kind.DATA_MISMATCH, "cannot clone into " + files.directory() + ": it "
          + what + "; empty it, or set allowDataDirectoryRemoval to let the adapter do so");
    }
    ctx.removeDataDirectoryContents(files, "clone into a directory that " + what);
  }
}

package io.ratisfailover.postgres;

import static io.ratisfailover.postgres.AdapterContext.io;
import static io.ratisfailover.postgres.AdapterContext.log;

import io.ratisfailover.postgres.AdapterContext.Environment;
import io.ratisfailover.postgres.internal.ServerConfiguration;
import io.ratisfailover.postgres.internal.ServerFiles;
import io.ratisfailover.postgres.internal.SlotNames;
import io.ratisfailover.postgres.internal.UpstreamServer;
import io.ratisfailover.spi.DatabaseException;
import java.io.IOException;

/**
 * Making a standby's data directory from its upstream's with {@code pg_basebackup} (Patroni's
 * {@code bootstrap.py} clone path): a new member, a re-clone after a failed rewind, a
 * reinitialize.
 */
final class Cloner {
  private final AdapterContext ctx;

  Cloner(AdapterContext ctx) {
    this.ctx = ctx;
  }

  /** Copies {@code up}'s data directory with {@code pg_basebackup} through this member's slot on it. */
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
    env.tools().baseBackup(files.directory(), up, slot);
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

package io.ratisfailover.postgres;

import static io.ratisfailover.postgres.AdapterContext.STATEMENT;
import static io.ratisfailover.postgres.AdapterContext.io;
import static io.ratisfailover.postgres.AdapterContext.log;

import io.ratisfailover.Lsn;
import io.ratisfailover.postgres.AdapterContext.Environment;
import io.ratisfailover.postgres.internal.ControlData;
import io.ratisfailover.postgres.internal.Divergence;
import io.ratisfailover.postgres.internal.ServerFiles;
import io.ratisfailover.postgres.internal.TimelineHistory;
import io.ratisfailover.postgres.internal.Tools;
import io.ratisfailover.postgres.internal.UpstreamServer;
import io.ratisfailover.spi.DatabaseException;
import java.io.IOException;
import java.util.Optional;

/**
 * Bringing a stopped data directory back onto its upstream's history (Patroni's {@code rewind.py}):
 * finish a crashed primary's recovery, decide with {@link Divergence} whether it left the
 * upstream's timeline, {@code pg_rewind} it, and re-clone when that fails and the rewind policy
 * allows.
 */
final class Rewinder {
  private final AdapterContext ctx;
  private final Histories histories;
  private final Cloner cloner;

  Rewinder(AdapterContext ctx, Histories histories, Cloner cloner) {
    this.ctx = ctx;
    this.histories = histories;
    this.cloner = cloner;
  }

  /**
   * Rewinds the stopped data directory when its history left the upstream's; falls back to a fresh
   * clone when the configuration allows.
   *
   * @return whether the data directory was rewound or re-cloned
   */
  boolean rewindIfDiverged(Environment env, UpstreamServer up, ControlData cd) throws DatabaseException {
    UpstreamServer.Identity theirs = up.identify();
    histories.requireSameSystem(cd.systemIdentifier(), up, theirs);
    Optional<TimelineHistory> history = histories.history(up, theirs.timeline());
    Optional<Lsn> checkpointEnd = Optional.empty();
    if (cd.shutdown() == ControlData.Shutdown.CLEAN_PRIMARY && cd.checkpointTimeline() < theirs.timeline()) {
      checkpointEnd = env.tools().recordEnd(ctx.config.dataDirectory(), cd.checkpointTimeline(), cd.checkpoint());
    }
    Divergence.Verdict verdict = Divergence.decide(cd.shutdown(), cd.positionTimeline(), cd.knownPosition(),
        Histories.localHistory(env.files(), cd.positionTimeline()), theirs.timeline(), history, checkpointEnd);
    if (!verdict.rewind()) {
      log.info("member {} epoch {}: no rewind needed to follow {}: {}", ctx.self, ctx.epoch(), up.describe(), verdict.reason());
      return false;
    }
    DatabaseException failed;
    if (verdict.action() == Divergence.Action.RECLONE) {
      failed = new DatabaseException(DatabaseException.Kind.DATA_MISMATCH, "cannot rewind " + ctx.config.dataDirectory()
          + " to follow " + up.describe() + ": " + verdict.reason() + ", which pg_rewind takes for one timeline");
    } else if (!cd.rewindable()) {
      failed = new DatabaseException(DatabaseException.Kind.DATA_MISMATCH, "cannot rewind " + ctx.config.dataDirectory()
          + ": it has neither data checksums nor wal_log_hints");
    } else {
      log.info("member {} epoch {}: rewinding to follow {}: {}", ctx.self, ctx.epoch(), up.describe(), verdict.reason());
      try {
        ServerFiles files = env.files();
        // pg_rewind may run the server in single-user mode for crash recovery, which refuses standby mode.
        files.delete(ServerFiles.STANDBY_SIGNAL);
        files.delete(ServerFiles.RECOVERY_SIGNAL);
        up.ensureCheckpointAfterPromotion(STATEMENT.multipliedBy(6));
        Tools.Rewind result = env.tools().rewind(ctx.config.dataDirectory(), up);
        ctx.forgetControlData();
        log.info("member {} epoch {}: pg_rewind: {}", ctx.self, ctx.epoch(),
            result == Tools.Rewind.REWOUND ? "rewound" : "no rewind required");
        return true;
      } catch (IOException e) {
        failed = io("prepare the data directory for pg_rewind", e);
      } catch (DatabaseException e) {
        failed = e;
      }
    }
    if (failed.kind() == DatabaseException.Kind.TRANSIENT || failed.kind() == DatabaseException.Kind.AUTHENTICATION) {
      throw failed;
    }
    if (ctx.config.rewindPolicy() != PostgresConfig.RewindPolicy.REWIND_THEN_RECLONE) {
      throw new DatabaseException(DatabaseException.Kind.DATA_MISMATCH, failed.getMessage()
          + ". The data directory is left as it is: reinitialize this member, or allow re-cloning with"
          + " rewindPolicy REWIND_THEN_RECLONE and allowDataDirectoryRemoval", failed);
    }
    log.warn("member {} epoch {}: rewind failed ({}); re-cloning from {} as rewindPolicy allows", ctx.self, ctx.epoch(),
        failed.getMessage(), up.describe());
    ctx.removeDataDirectoryContents(env.files(), "re-clone after a failed rewind");
    cloner.clone(env, up);
    return true;
  }

  /**
   * Ends a crashed primary's recovery in single-user mode, so that its control file tells where its
   * WAL ends before the rewind decision.
   */
  void finishCrashRecovery(Environment env) throws DatabaseException {
    log.info("member {} epoch {}: finishing the crash recovery of the former primary in single-user mode", ctx.self, ctx.epoch());
    try {
      env.files().delete(ServerFiles.STANDBY_SIGNAL);
      env.files().delete(ServerFiles.RECOVERY_SIGNAL);
    } catch (IOException e) {
      throw io("prepare the crash recovery", e);
    }
    env.tools().finishCrashRecovery(ctx.config.dataDirectory());
    ctx.forgetControlData();
  }
}

package io.ratisfailover.postgres;

import static io.ratisfailover.postgres.AdapterContext.STATEMENT;
import static io.ratisfailover.postgres.AdapterContext.io;
import static io.ratisfailover.postgres.AdapterContext.log;

import io.ratisfailover.Epoch;
import io.ratisfailover.Lsn;
import io.ratisfailover.postgres.AdapterContext.Environment;
import io.ratisfailover.postgres.internal.Jdbc;
import io.ratisfailover.postgres.internal.LocalDatabase;
import io.ratisfailover.postgres.internal.ServerConfiguration;
import io.ratisfailover.postgres.internal.SqlErrors;
import io.ratisfailover.spi.DatabaseException;
import io.ratisfailover.spi.PrimaryTopology;
import io.ratisfailover.spi.Promotion;
import java.io.IOException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.LockSupport;

/**
 * Promoting a standby: wait for the replay the agent asks for, put the new primary's
 * {@code synchronous_standby_names} in force, check the lease, {@code pg_promote}, then a
 * checkpoint in the background on a thread of its own.
 */
final class Promoter {
  private static final long POLL_NANOS = Duration.ofMillis(10).toNanos();

  private final AdapterContext ctx;
  private final ServerControl control;
  private final PrimarySetup primary;
  private final ExecutorService checkpoints;

  Promoter(AdapterContext ctx, ServerControl control, PrimarySetup primary) {
    this.ctx = ctx;
    this.control = control;
    this.primary = primary;
    this.checkpoints = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "ratis-failover-" + ctx.self + "-checkpoint");
      t.setDaemon(true);
      return t;
    });
  }

  /** Stops the checkpoint thread; a checkpoint still queued is dropped. */
  void close() {
    checkpoints.shutdownNow();
  }

  /** {@link io.ratisfailover.spi.DatabaseAdapter#promote}: the standby becomes the primary of {@code promotion}'s epoch. */
  void promote(Promotion promotion) throws DatabaseException {
    PrimaryTopology topology = promotion.topology();
    ctx.epoch(topology.epoch());
    Environment env = ctx.environment();
    long decidedAt = ctx.postmaster.generation();
    if (ctx.postmaster.running().isEmpty()) {
      throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "cannot promote: the database is not running");
    }
    LocalDatabase.Observation o = ctx.local.observe(STATEMENT);
    if (!o.inRecovery()) {
      primary.configurePrimary(topology);
      return;
    }
    long deadline = System.nanoTime() + ctx.config.promoteTimeout().toNanos();
    if (promotion.replayAtLeast().isPresent()) {
      Lsn target = promotion.replayAtLeast().get();
      while (o.replayedLsn().isBefore(target)) {
        if (System.nanoTime() - deadline > 0) {
          throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "cannot promote yet: replayed WAL up to "
              + o.replayedLsn() + " of " + target + " within " + ctx.config.promoteTimeout().toMillis() + " ms");
        }
        LockSupport.parkNanos(POLL_NANOS);
        o = ctx.local.observe(STATEMENT);
      }
    }
    // The standbys the new primary waits for must be in force before it takes its first write: an
    // inherited setting (possibly naming this very server) would make every commit hang.
    String names = ctx.syncNames(topology);
    try {
      ctx.writeServerConfig(env.files(), ServerConfiguration.Role.primary(names));
    } catch (IOException e) {
      throw io("write the new primary's configuration", e);
    }
    control.reloadServer();
    control.awaitSetting("synchronous_standby_names", names, deadline);
    if (ctx.postmaster.generation() != decidedAt) {
      throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "the database was fenced during the promotion");
    }
    ctx.requireLease("promoting");
    log.info("member {} epoch {}: promoting at replay position {} with synchronous_standby_names '{}'", ctx.self, ctx.epoch(),
        o.replayedLsn(), names);
    ctx.local.call("promote", STATEMENT, c -> {
      try (Statement s = c.createStatement()) {
        s.execute("SELECT pg_promote(false)");
      }
      return null;
    });
    while (true) {
      boolean recovery = ctx.local.call("check the promotion", STATEMENT, c -> {
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT pg_is_in_recovery()")) {
          r.next();
          return r.getBoolean(1);
        }
      });
      if (!recovery) {
        break;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "promotion did not finish within "
            + ctx.config.promoteTimeout().toMillis() + " ms");
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
    try {
      ctx.writeState(env.files(), Optional.empty());
    } catch (IOException e) {
      throw io("record the promotion", e);
    }
    primary.configurePrimary(topology);
    log.info("member {} epoch {}: promoted; accepting writes", ctx.self, ctx.epoch());
    checkpointSoon();
  }

  /**
   * A checkpoint right after a promotion, in the background: PostgreSQL's own first checkpoint on
   * the new timeline is spread over minutes, and until it ends the control file names the old
   * timeline, which misleads {@code pg_rewind} when this server is its source or its target.
   */
  private void checkpointSoon() {
    Epoch at = ctx.epoch();
    try {
      checkpoints.execute(() -> {
        Duration bound = ctx.config.promoteTimeout().multipliedBy(10);
        try (java.sql.Connection c = Jdbc.open(ctx.config.localHost(), ctx.config.port(), Jdbc.properties(ctx.config.superuser(),
            ctx.config.connectTimeout(), bound.plusSeconds(5), bound, "ratis-failover agent")); Statement s = c.createStatement()) {
          s.execute("CHECKPOINT");
          log.debug("member {} epoch {}: checkpoint after the promotion done", ctx.self, at);
        } catch (SQLException e) {
          log.warn("member {} epoch {}: checkpoint after the promotion failed: {}", ctx.self, at, SqlErrors.describe(e));
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      log.debug("member {} epoch {}: adapter closed; no checkpoint after the promotion", ctx.self, at);
    }
  }
}

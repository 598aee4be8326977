package io.ratisfailover.postgres;

import static io.ratisfailover.postgres.AdapterContext.STATEMENT;
import static io.ratisfailover.postgres.AdapterContext.io;
import static io.ratisfailover.postgres.AdapterContext.log;
import static io.ratisfailover.postgres.AdapterContext.readQuietly;

import io.ratisfailover.MemberId;
import io.ratisfailover.postgres.AdapterContext.Environment;
import io.ratisfailover.postgres.internal.Conninfo;
import io.ratisfailover.postgres.internal.ControlData;
import io.ratisfailover.postgres.internal.Divergence;
import io.ratisfailover.postgres.internal.Jdbc;
import io.ratisfailover.postgres.internal.LocalDatabase;
import io.ratisfailover.postgres.internal.MemberState;
import io.ratisfailover.postgres.internal.Postmaster;
import io.ratisfailover.postgres.internal.ServerConfiguration;
import io.ratisfailover.postgres.internal.ServerFiles;
import io.ratisfailover.postgres.internal.SlotNames;
import io.ratisfailover.postgres.internal.TimelineHistory;
import io.ratisfailover.postgres.internal.UpstreamServer;
import io.ratisfailover.spi.DatabaseException;
import io.ratisfailover.spi.FenceMode;
import io.ratisfailover.spi.Upstream;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Running as a standby: clone when there is no data directory, re-point a running standby with a
 * reload when its history allows, otherwise stop, rewind or re-clone and start it with the
 * upstream's connection and slot; and reinitialize from scratch (Patroni's {@code follow}).
 */
final class Standby {
  private final AdapterContext ctx;
  private final ServerControl control;
  private final Cloner cloner;
  private final Histories histories;
  private final Rewinder rewinder;
  private final LogicalSlotCopies slotCopies;

  Standby(AdapterContext ctx, ServerControl control, Cloner cloner, Histories histories, Rewinder rewinder,
      LogicalSlotCopies slotCopies) {
    this.ctx = ctx;
    this.slotCopies = slotCopies;
    this.control = control;
    this.cloner = cloner;
    this.histories = histories;
    this.rewinder = rewinder;
  }

  /** {@link io.ratisfailover.spi.DatabaseAdapter#startReplica}: run as a standby of {@code target}, or of nobody yet. */
  void startReplica(Optional<Upstream> target) throws DatabaseException {
    Environment env = ctx.environment();
    ServerFiles files = env.files();
    long decidedAt = ctx.postmaster.generation();
    Optional<UpstreamServer> upstream = target.isPresent() ? Optional.of(upstreamServer(target.get())) : Optional.empty();
    slotCopies.follow(upstream);
    if (!files.hasCluster()) {
      if (upstream.isEmpty()) {
        throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "no data directory yet and no upstream to clone"
            + " from: waiting for a primary");
      }
      cloner.prepareForClone(files);
      cloner.clone(env, upstream.get());
    } else {
      Optional<Postmaster.Running> running = ctx.postmaster.running();
      if (running.isPresent() && followRunning(env, running.get(), upstream)) {
        return;
      }
      if (ctx.postmaster.running().isPresent()) {
        control.stopServer(FenceMode.FAST, "switching upstream needs a restart");
      }
      control.awaitAllGone(env);
      if (files.exists(ServerFiles.BACKUP_LABEL)) {
        // A clone that never started: pg_control says "in production" because it was copied from a
        // running primary. It is no crashed primary; recovering it as one would end recovery and write
        // WAL of its own, diverging from its upstream. Its first start as a standby recovers it.
        log.info("member {} epoch {}: the clone in {} has not started yet; starting it as a standby", ctx.self, ctx.epoch(),
            files.directory());
        if (upstream.isPresent()) {
          histories.writeHistory(env, upstream.get());
        }
      } else {
        ControlData cd = ctx.controlData(env);
        if (cd.shutdown() == ControlData.Shutdown.CRASHED_PRIMARY) {
          rewinder.finishCrashRecovery(env);
          cd = ctx.controlData(env);
        }
        if (upstream.isPresent() && !rewinder.rewindIfDiverged(env, upstream.get(), cd)) {
          histories.writeHistory(env, upstream.get());
        }
      }
    }
    upstream.ifPresent(u -> ensureSlotOn(u));
    upstream.ifPresent(u -> copyLogicalSlots(files, u));
    try {
      ctx.writeServerConfig(files, standbyRole(upstream));
      files.write(ServerFiles.STANDBY_SIGNAL, "");
      files.delete(ServerFiles.RECOVERY_SIGNAL);
      ctx.writeState(files, upstream.map(UpstreamServer::member));
    } catch (IOException e) {
      throw io("write the standby configuration", e);
    }
    control.startServer(env, decidedAt, false);
    log.info("member {} epoch {}: running as a standby of {}", ctx.self, ctx.epoch(),
        upstream.map(UpstreamServer::describe).orElse("nobody yet"));
  }

  /**
   * Re-points a running standby without a restart when its history allows.
   *
   * @return true when done; false when the server must be stopped and handled as a stopped one
   */
  private boolean followRunning(Environment env, Postmaster.Running running, Optional<UpstreamServer> upstream)
      throws DatabaseException {
    if (!running.acceptsConnections()) {
      log.info("member {} epoch {}: the standby does not accept connections yet; restarting it to follow {}", ctx.self,
          ctx.epoch(), upstream.map(UpstreamServer::describe).orElse("nobody"));
      return false;
    }
    LocalDatabase.Observation o = ctx.local.observe(STATEMENT);
    if (!o.inRecovery()) {
      log.warn("member {} epoch {}: asked to follow {} while the database is writable; stopping it first", ctx.self, ctx.epoch(),
          upstream.map(UpstreamServer::describe).orElse("nobody"));
      return false;
    }
    ServerFiles files = env.files();
    Optional<MemberId> current = ctx.state(files).flatMap(MemberState::upstream);
    String wanted = ServerConfiguration.postgresqlConf(ctx.self, ctx.config, standbyRole(upstream));
    boolean unchanged = files.exists(ServerFiles.STANDBY_SIGNAL)
        && readQuietly(files, "postgresql.conf").filter(wanted::equals).isPresent();
    if (unchanged && current.equals(upstream.map(UpstreamServer::member))) {
      return true;
    }
    String why = "no upstream";
    if (upstream.isPresent()) {
      UpstreamServer up = upstream.get();
      UpstreamServer.Identity theirs = up.identify();
      histories.requireSameSystem(o.systemIdentifier(), up, theirs);
      Optional<TimelineHistory> history = histories.history(up, theirs.timeline());
      UpstreamServer me = new UpstreamServer(ctx.self, ctx.config.localHost(), ctx.config.port(), ctx.config, ctx.self);
      UpstreamServer.Identity mine = me.identify();
      Divergence.Verdict verdict = Divergence.decide(ControlData.Shutdown.STANDBY, mine.timeline(),
          Optional.of(mine.position()), Histories.localHistory(files, mine.timeline()), theirs.timeline(), history,
          Optional.empty());
      if (verdict.rewind()) {
        log.info("member {} epoch {}: cannot follow {} as it runs: {}", ctx.self, ctx.epoch(), up.describe(), verdict.reason());
        return false;
      }
      // Only now: the upstream's history file may carry the number of one of ours.
      history.ifPresent(h -> histories.writeHistoryFile(env, h.timeline(), up));
      why = "no rewind needed: " + verdict.reason();
      ensureSlotOn(up);
    }
    try {
      ctx.writeServerConfig(files, standbyRole(upstream));
      ctx.writeState(files, upstream.map(UpstreamServer::member));
    } catch (IOException e) {
      throw io("write the standby configuration", e);
    }
    control.reloadServer();
    log.info("member {} epoch {}: now following {} (reloaded, no restart; {})", ctx.self, ctx.epoch(),
        upstream.map(UpstreamServer::describe).orElse("nobody"), why);
    return true;
  }

  private void ensureSlotOn(UpstreamServer up) {
    try {
      up.ensureSlot(SlotNames.of(ctx.self));
    } catch (DatabaseException e) {
      // The upstream also creates slots for its standbys; the WAL receiver retries meanwhile.
      log.warn("member {} epoch {}: could not make sure slot {} exists on {}: {}", ctx.self, ctx.epoch(), SlotNames.of(ctx.self),
          up.describe(), e.getMessage());
    }
  }

  /** The cluster's logical slots, copied while the server is stopped (a clone has none: pg_basebackup skips them). */
  private void copyLogicalSlots(ServerFiles files, UpstreamServer up) {
    try {
      List<String> missing = slotCopies.copyMissing(files, up);
      if (!missing.isEmpty()) {
        log.info("member {} epoch {}: logical slots {} are not on {} yet; copied once they are", ctx.self, ctx.epoch(),
            missing, up.describe());
      }
    } catch (DatabaseException e) {
      // Never keeps a standby from starting: the cluster's settings, applied again, copy them later.
      log.warn("member {} epoch {}: could not copy the logical slots from {}: {}", ctx.self, ctx.epoch(), up.describe(),
          e.getMessage());
    }
  }

  private ServerConfiguration.Role standbyRole(Optional<UpstreamServer> upstream) {
    return ServerConfiguration.Role.standby(upstream.map(u -> ServerConfiguration.withSsl(new Conninfo()
        .set("host", u.host()).set("port", Integer.toString(u.port())).set("user", ctx.config.replication().user())
        .set("password", ctx.config.replication().password()).set("application_name", ctx.self.value())
        .set("connect_timeout", Long.toString(Jdbc.seconds(ctx.config.connectTimeout()))), ctx.config)),
        upstream.map(u -> SlotNames.of(ctx.self)));
  }

  private UpstreamServer upstreamServer(Upstream u) throws DatabaseException {
    String host = u.attributes().get("host");
    String port = u.attributes().get("port");
    if (host == null || port == null) {
      throw new DatabaseException(DatabaseException.Kind.MISCONFIGURED, "upstream " + u.member()
          + " published no host and port (attributes " + u.attributes().keySet() + "); is it a PostgreSQL member?");
    }
    try {
      return new UpstreamServer(u.member(), host, Integer.parseInt(port), ctx.config, ctx.self);
    } catch (NumberFormatException e) {
      throw new DatabaseException(DatabaseException.Kind.MISCONFIGURED, "upstream " + u.member() + " published port '"
          + port + "', not a number", e);
    }
  }

  /** {@link io.ratisfailover.spi.DatabaseAdapter#reinitialize}: a fresh clone of {@code target}, if allowed. */
  void reinitialize(Upstream target) throws DatabaseException {
    if (!ctx.config.allowDataDirectoryRemoval()) {
      throw new DatabaseException(DatabaseException.Kind.MISCONFIGURED, "reinitialize deletes the data directory "
          + ctx.config.dataDirectory() + ", which this member's configuration forbids (allowDataDirectoryRemoval = false)");
    }
    Environment env = ctx.environment();
    UpstreamServer up = upstreamServer(target);
    if (ctx.postmaster.running().isPresent()) {
      if (!ctx.local.observe(STATEMENT).inRecovery()) {
        throw new DatabaseException(DatabaseException.Kind.FATAL, "refusing to reinitialize: the database is writable");
      }
      control.stopServer(FenceMode.FAST, "reinitialize");
    }
    control.awaitAllGone(env);
    ctx.removeDataDirectoryContents(env.files(), "reinitialize from " + up.describe());
    startReplica(Optional.of(target));
  }
}

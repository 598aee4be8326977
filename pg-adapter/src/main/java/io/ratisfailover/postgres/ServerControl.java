package io.ratisfailover.postgres;

import static io.ratisfailover.postgres.AdapterContext.STATEMENT;
import static io.ratisfailover.postgres.AdapterContext.io;
import static io.ratisfailover.postgres.AdapterContext.log;

import io.ratisfailover.postgres.AdapterContext.Environment;
import io.ratisfailover.postgres.internal.PidFile;
import io.ratisfailover.postgres.internal.Postmaster;
import io.ratisfailover.spi.DatabaseException;
import io.ratisfailover.spi.FenceMode;
import java.io.IOException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * Starting, stopping, fencing, restarting and reloading the server, and waiting on it: the
 * postmaster's life as the other procedures use it (Patroni's {@code postmaster.py} and the
 * start/stop half of {@code Postgresql}).
 */
final class ServerControl {
  private static final long POLL_NANOS = Duration.ofMillis(10).toNanos();
  /**
   * How long a standby start waits to accept connections. A rewound or fresh standby may not reach
   * a consistent state until its upstream streams to it, which can take long; status then says
   * STARTING, and the agent waits with the database thread free.
   */
  static final Duration REPLICA_READY_WAIT = Duration.ofSeconds(5);
  /** After an immediate shutdown request, how long before every server process gets SIGKILL. */
  private static final Duration IMMEDIATE_GRACE = Duration.ofSeconds(1);

  private final AdapterContext ctx;
  private final Set<Long> expectedExits = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  ServerControl(AdapterContext ctx) {
    this.ctx = ctx;
  }

  /** From now on, exits of the postmaster are no longer reported: the adapter is closing. */
  void close() {
    closed = true;
  }

  /** Stops the server at once and makes any start decided before this call fail. */
  void fence(FenceMode mode) throws DatabaseException {
    ctx.postmaster.beginFence();
    log.info("member {} epoch {}: fencing the database ({})", ctx.self, ctx.epoch(), mode);
    stopServer(mode, "fence");
  }

  /** Stops the server; FAST escalates to IMMEDIATE after stopTimeout, IMMEDIATE to SIGKILL after a grace. */
  void stopServer(FenceMode mode, String why) throws DatabaseException {
    Optional<Postmaster.Running> running = ctx.postmaster.running();
    if (running.isPresent()) {
      long pid = running.get().pid();
      expectedExits.add(pid);
      if (mode == FenceMode.FAST) {
        ctx.postmaster.signal(pid, Postmaster.Signal.INT);
        if (ctx.postmaster.awaitExit(pid, ctx.config.stopTimeout())) {
          finishStop(why, "shut down cleanly");
          return;
        }
        log.warn("member {} epoch {}: fast shutdown did not finish within {} ms; stopping immediately", ctx.self, ctx.epoch(),
            ctx.config.stopTimeout().toMillis());
      }
      ctx.postmaster.signal(pid, Postmaster.Signal.QUIT);
      if (ctx.postmaster.awaitExit(pid, IMMEDIATE_GRACE) && ctx.postmaster.liveProcesses().isEmpty()) {
        finishStop(why, "stopped immediately");
        return;
      }
    }
    if (!ctx.postmaster.liveProcesses().isEmpty()) {
      log.warn("member {} epoch {}: killing server processes {} ({})", ctx.self, ctx.epoch(), ctx.postmaster.liveProcesses(), why);
      ctx.postmaster.killAll();
    }
    List<Long> left = ctx.postmaster.awaitNoLiveProcesses(ctx.config.stopTimeout());
    if (!left.isEmpty()) {
      throw new DatabaseException(DatabaseException.Kind.FATAL, "server processes " + left + " of "
          + ctx.config.dataDirectory() + " survived SIGKILL; the database may still take writes");
    }
    finishStop(why, running.isPresent() ? "killed" : "was not running");
  }

  private void finishStop(String why, String how) {
    ctx.local.forgetConnections();
    ctx.forgetControlData();
    log.info("member {} epoch {}: database {} ({})", ctx.self, ctx.epoch(), how, why);
  }

  void restart() throws DatabaseException {
    Environment env = ctx.environment();
    long decidedAt = ctx.postmaster.generation();
    if (ctx.postmaster.running().isEmpty()) {
      throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "cannot restart: the database is not running");
    }
    boolean primary = !ctx.local.observe(STATEMENT).inRecovery();
    stopServer(FenceMode.FAST, "restart");
    awaitAllGone(env);
    if (primary) {
      ctx.requireLease("restarting as primary");
    }
    startServer(env, decidedAt, primary);
  }

  void startServer(Environment env, long decidedAt, boolean primary) throws DatabaseException {
    long logStart = ctx.postmaster.start(decidedAt, env.tools().account().wrap(
        List.of(env.tools().binaries().path("postgres"), "-D", ctx.config.dataDirectory().toString())));
    ctx.local.forgetConnections();
    ctx.forgetControlData();
    long deadline = System.nanoTime() + (primary ? ctx.config.startTimeout() : REPLICA_READY_WAIT).toNanos();
    while (true) {
      Optional<PidFile> pid = PidFile.read(ctx.config.dataDirectory());
      Optional<Postmaster.Running> running = ctx.postmaster.running();
      if (running.isEmpty() && ((pid.isPresent() && !pid.get().status().isEmpty()) || ctx.postmaster.launchedExited())) {
        // Up and gone again: it failed during start-up, or was stopped at once.
        throw startFailure(logStart);
      }
      if (running.isPresent() && (running.get().status().equals("ready") || running.get().status().equals("standby"))) {
        break;
      }
      if (System.nanoTime() - deadline > 0) {
        if (running.isPresent() && !primary) {
          log.info("member {} epoch {}: standby started; still recovering", ctx.self, ctx.epoch());
          return;
        }
        if (running.isPresent()) {
          throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "the server did not accept connections within "
              + ctx.config.startTimeout().toMillis() + " ms; it is still starting (" + running.get().status() + ")");
        }
        throw startFailure(logStart);
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
    if (primary) {
      boolean recovery;
      while (true) {
        try {
          recovery = ctx.local.call("check the started server", STATEMENT, c -> {
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT pg_is_in_recovery()")) {
              r.next();
              return r.getBoolean(1);
            }
          });
          break;
        } catch (DatabaseException e) {
          if (e.kind() != DatabaseException.Kind.TRANSIENT || System.nanoTime() - deadline > 0) {
            throw e;
          }
          LockSupport.parkNanos(POLL_NANOS);
        }
      }
      if (recovery) {
        throw new DatabaseException(DatabaseException.Kind.FATAL, "the server started in recovery although it was"
            + " started as a primary");
      }
    }
  }

  private DatabaseException startFailure(long logStart) {
    String tail = ctx.postmaster.logTail(logStart);
    String lower = tail.toLowerCase(java.util.Locale.ROOT);
    DatabaseException.Kind kind = DatabaseException.Kind.FATAL;
    String hint = "";
    if (lower.contains("address already in use") || lower.contains("could not bind")) {
      kind = DatabaseException.Kind.MISCONFIGURED;
      hint = "; is port " + ctx.config.port() + " used by another server?";
    } else if (lower.contains("lock file") || lower.contains("still in use")) {
      kind = DatabaseException.Kind.TRANSIENT;
    } else if (lower.contains("no space left")) {
      hint = "; the disk is full";
    }
    return new DatabaseException(kind, "PostgreSQL exited during start-up: " + tail + hint + " (server log "
        + ctx.postmaster.logFile() + ")");
  }

  void reloadServer() throws DatabaseException {
    Optional<Postmaster.Running> running = ctx.postmaster.running();
    if (running.isEmpty()) {
      throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "cannot reload: the database is not running");
    }
    ctx.postmaster.signal(running.get().pid(), Postmaster.Signal.HUP);
  }

  /** Waits until a new statement sees {@code name} = {@code value}: the server has read its configuration files. */
  void awaitSetting(String name, String value, long deadline) throws DatabaseException {
    while (true) {
      String current = ctx.local.call("read " + name, STATEMENT, c -> {
        try (PreparedStatement ps = c.prepareStatement("SELECT current_setting(?)")) {
          ps.setString(1, name);
          try (ResultSet r = ps.executeQuery()) {
            r.next();
            return r.getString(1);
          }
        }
      });
      if (value.equals(current)) {
        return;
      }
      if (System.nanoTime() - deadline > 0) {
        throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "the server did not take " + name + " = '" + value
            + "' from its configuration (it still has '" + current + "'); see the server log " + ctx.postmaster.logFile());
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }

  void awaitAllGone(Environment env) throws DatabaseException {
    try {
      if (!ctx.postmaster.awaitAllGone(ctx.config.stopTimeout())) {
        throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "old server processes of " + ctx.config.dataDirectory()
            + " have not exited yet: " + ctx.postmaster.liveProcesses() + ctx.postmaster.doomedProcesses()
            + " (a killed process that is frozen exits when thawed)");
      }
    } catch (IOException e) {
      throw io("remove the stale postmaster.pid", e);
    }
  }

  /** The postmaster's exit, as {@link Postmaster} reports it from its watcher thread. */
  void exited(long pid) {
    if (closed) {
      return;
    }
    if (expectedExits.remove(pid)) {
      log.debug("member {} epoch {}: postmaster {} exited", ctx.self, ctx.epoch(), pid);
    } else {
      log.warn("member {} epoch {}: postmaster {} exited unexpectedly", ctx.self, ctx.epoch(), pid);
    }
    ctx.local.forgetConnections();
    ctx.events().statusMayHaveChanged();
  }
}

package io.ratisfailover.postgres;

import static io.ratisfailover.postgres.ServerControl.REPLICA_READY_WAIT;

import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.postgres.AdapterContext.Environment;
import io.ratisfailover.postgres.internal.ControlData;
import io.ratisfailover.postgres.internal.LocalDatabase;
import io.ratisfailover.postgres.internal.MemberState;
import io.ratisfailover.postgres.internal.Postmaster;
import io.ratisfailover.postgres.internal.ServerFiles;
import io.ratisfailover.spi.DatabaseException;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.DatabaseStatus;
import java.io.IOException;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The status observation: what the data directory, the postmaster, {@code pg_control} and a query
 * say about the server, as one {@link DatabaseStatus}. Reads only; never changes the server.
 */
final class ServerStatus {
  private final AdapterContext ctx;

  ServerStatus(AdapterContext ctx) {
    this.ctx = ctx;
  }

  /** What the server is doing now, as {@link io.ratisfailover.spi.DatabaseAdapter#status()} reports it. */
  DatabaseStatus status() throws DatabaseException {
    Environment env = ctx.environment();
    ServerFiles files = env.files();
    if (!files.hasCluster()) {
      return DatabaseStatus.of(DatabaseState.ABSENT, absentDetail(files));
    }
    Optional<Postmaster.Running> running = ctx.postmaster.running();
    if (running.isEmpty()) {
      return stoppedStatus(env);
    }
    String pmStatus = running.get().status();
    if (!running.get().acceptsConnections()) {
      if (pmStatus.equals("stopping")) {
        return DatabaseStatus.of(DatabaseState.STARTING, "shutting down");
      }
      return startingStatus(env, running.get());
    }
    LocalDatabase.Observation o;
    try {
      o = ctx.local.observe(ctx.config.statusTimeout());
    } catch (DatabaseException e) {
      if (e.kind() == DatabaseException.Kind.TRANSIENT) {
        if (sqlState(e).equals("57P03")) {
          return DatabaseStatus.of(DatabaseState.STARTING, e.getMessage());
        }
        return DatabaseStatus.of(DatabaseState.UNKNOWN, e.getMessage());
      }
      throw e;
    }
    if (!o.inRecovery()) {
      return DatabaseStatus.primary(o.timeline(), o.writeLsn(), o.replicas(), o.synchronousStandbys())
          .withSystemIdentifier(o.systemIdentifier()).withPendingRestart(o.pendingRestart());
    }
    Optional<MemberId> upstream = ctx.state(files).flatMap(MemberState::upstream);
    Lsn received = o.receivedLsn().orElse(o.replayedLsn());
    String detail = upstream.map(u -> o.walReceiver().map(w -> w + " from " + u)
        .orElse("no WAL receiver running for " + u)).orElse("standby without upstream");
    return DatabaseStatus.replica(o.timeline(), received, o.replayedLsn(), upstream)
        .withSystemIdentifier(o.systemIdentifier()).withDetail(detail).withPendingRestart(o.pendingRestart());
  }

  /**
   * A server that does not accept connections yet. A standby that stays so needs WAL from an
   * upstream to reach a consistent state (after a clone or a rewind): it is reported as
   * {@link DatabaseState#RECOVERING}, with the position its control file guarantees, so that the
   * agent can point it at a new primary and the arbiter does not elect it (it cannot promote).
   */
  private DatabaseStatus startingStatus(Environment env, Postmaster.Running running) throws DatabaseException {
    boolean standby = env.files().exists(ServerFiles.STANDBY_SIGNAL);
    long startingFor = System.currentTimeMillis() / 1000 - running.startedAtEpochSecond();
    if (!standby || running.startedAtEpochSecond() == 0 || startingFor * 1000 < REPLICA_READY_WAIT.toMillis()) {
      return DatabaseStatus.of(DatabaseState.STARTING, "starting up (crash recovery, or not yet consistent)");
    }
    ControlData cd = ctx.controlData(env);
    Optional<MemberId> upstream = ctx.state(env.files()).flatMap(MemberState::upstream);
    return new DatabaseStatus(DatabaseState.RECOVERING, cd.positionTimeline(), Lsn.ZERO, cd.minRecoveryPoint(),
        cd.minRecoveryPoint(), upstream, Optional.of(cd.systemIdentifier()), List.of(), Set.of(),
        "standby not consistent yet after " + startingFor + " s: waiting for WAL from "
            + upstream.map(MemberId::value).orElse("an upstream"));
  }

  private DatabaseStatus stoppedStatus(Environment env) throws DatabaseException {
    ControlData cd = ctx.controlData(env);
    String detail;
    if (cd.clusterState().equals("shut down")) {
      detail = "shut down cleanly";
    } else if (cd.clusterState().equals("shut down in recovery")) {
      detail = "standby, shut down cleanly";
    } else {
      detail = "not running; stopped without a clean shutdown (" + cd.clusterState() + ")";
    }
    List<Long> doomed = ctx.postmaster.doomedProcesses();
    List<Long> live = ctx.postmaster.liveProcesses();
    if (!live.isEmpty()) {
      detail += "; postmaster gone but server processes " + live + " still run";
    } else if (!doomed.isEmpty()) {
      detail += "; killed server processes " + doomed + " have not exited yet (frozen?)";
    }
    return new DatabaseStatus(DatabaseState.STOPPED, cd.checkpointTimeline(), cd.checkpoint(), Lsn.ZERO, Lsn.ZERO,
        Optional.empty(), Optional.of(cd.systemIdentifier()), List.of(), Set.of(), detail);
  }

  private static String absentDetail(ServerFiles files) {
    try {
      return files.isEmpty() ? "no data directory yet"
          : "data directory " + files.directory() + " is not empty but holds no PostgreSQL cluster";
    } catch (IOException e) {
      return "data directory " + files.directory() + " cannot be read: " + e.getMessage();
    }
  }

  private static String sqlState(DatabaseException e) {
    Throwable t = e.getCause();
    return t instanceof SQLException sql && sql.getSQLState() != null ? sql.getSQLState() : "";
  }
}

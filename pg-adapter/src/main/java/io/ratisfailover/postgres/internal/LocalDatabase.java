package io.ratisfailover.postgres.internal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.postgres.PostgresConfig;
import io.ratisfailover.spi.DatabaseException;
import io.ratisfailover.spi.ReplicaInfo;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;

/**
 * The agent's own connections to the local server: a small HikariCP pool (status every
 * {@code loop_wait} would otherwise pay for a new backend and a SCRAM exchange each time) and a
 * hard deadline on every call. The driver's timeouts count whole seconds and a frozen server can
 * hold a socket read or a login for that long, so each call runs on a worker thread; when its
 * deadline passes the caller gets an error at once and the connection is aborted, which unblocks
 * the worker.
 */
public final class LocalDatabase implements AutoCloseable {
  private final HikariDataSource pool;
  private final ThreadPoolExecutor workers;
  private final AtomicReference<Connection> inFlight = new AtomicReference<>();

  /** Work on one pooled connection. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Connection c) throws SQLException, DatabaseException;
  }

  public LocalDatabase(MemberId member, PostgresConfig config) {
    this(member, config, Optional.empty());
  }

  /** With {@code connections}, the pool takes its connections from there instead of the driver (tests). */
  LocalDatabase(MemberId member, PostgresConfig config, Optional<DataSource> connections) {
    HikariConfig hc = new HikariConfig();
    hc.setPoolName("ratis-failover-" + member + "-pg");
    if (connections.isPresent()) {
      hc.setDataSource(connections.get());
    } else {
      hc.setJdbcUrl(Jdbc.url(config.localHost(), config.port()));
      hc.setDataSourceProperties(properties(config));
    }
    // Named, not detected: HikariCP detects the driver's default on its first connection, and when
    // that connection breaks right then (a server restarting) it sets level -1 on every later one,
    // which pgjdbc refuses, so the pool never hands out a connection again (chaos seed 740956).
    hc.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
    hc.setMaximumPoolSize(2);
    // No connections kept warm in the background: when the server is down there is nothing to retry.
    hc.setMinimumIdle(0);
    // Calls have their own deadline; a slow login (a loaded host) may use all of the connect timeout twice.
    hc.setConnectionTimeout(Math.max(250, 2 * config.connectTimeout().toMillis()));
    hc.setValidationTimeout(250);
    hc.setIdleTimeout(Duration.ofSeconds(30).toMillis());
    hc.setMaxLifetime(Duration.ofMinutes(10).toMillis());
    hc.setInitializationFailTimeout(-1);
    hc.setAutoCommit(true);
    this.pool = new HikariDataSource(hc);
    this.workers = new ThreadPoolExecutor(0, 2, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
      Thread t = new Thread(r, "ratis-failover-" + member + "-sql");
      t.setDaemon(true);
      return t;
    });
  }

  /** How the agent's connections log in: as the superuser, with short timeouts. */
  static Properties properties(PostgresConfig config) {
    Duration statementTimeout = Duration.ofSeconds(5);
    return Jdbc.properties(config.superuser(), config.connectTimeout(), statementTimeout.plusSeconds(5),
        statementTimeout, "ratis-failover agent");
  }

  /**
   * Runs {@code work} on a pooled connection and returns within {@code deadline}, whatever the
   * server does. A broken pooled connection (the server restarted under it) is retried once.
   *
   * @throws DatabaseException TRANSIENT when the deadline passed, else as the SQLSTATE says
   */
  public <T> T call(String what, Duration deadline, Work<T> work) throws DatabaseException {
    long end = System.nanoTime() + deadline.toNanos();
    Future<T> f;
    try {
      f = workers.submit(() -> runRetryingOnce(work));
    } catch (RejectedExecutionException e) {
      throw new DatabaseException(DatabaseException.Kind.TRANSIENT, what + ": earlier queries to the local server"
          + " are still blocked (server hung?)");
    }
    try {
      return f.get(Math.max(1, end - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      abortInFlight();
      throw new DatabaseException(DatabaseException.Kind.TRANSIENT, what + ": the local server did not answer within "
          + deadline.toMillis() + " ms (hung or overloaded)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      abortInFlight();
      throw new DatabaseException(DatabaseException.Kind.TRANSIENT, what + ": interrupted", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof SQLException sql) {
        throw SqlErrors.wrap(what, sql);
      }
      if (cause instanceof DatabaseException db) {
        throw db;
      }
      throw new DatabaseException(DatabaseException.Kind.FATAL, what + ": " + cause, cause);
    }
  }

  /** Drops pooled connections, for example after this adapter restarted the server. */
  public void forgetConnections() {
    com.zaxxer.hikari.HikariPoolMXBean bean = pool.getHikariPoolMXBean();
    if (bean != null) {
      bean.softEvictConnections();
    }
  }

  private <T> T runRetryingOnce(Work<T> work) throws SQLException, DatabaseException {
    try {
      return runOnce(work);
    } catch (SQLException e) {
      String state = e.getSQLState() == null ? "" : e.getSQLState();
      if (state.startsWith("08") || state.equals("57P01")) {
        return runOnce(work);
      }
      throw e;
    }
  }

  private <T> T runOnce(Work<T> work) throws SQLException, DatabaseException {
    try (Connection c = pool.getConnection()) {
      Connection raw = c.unwrap(Connection.class);
      inFlight.set(raw);
      try {
        return work.run(c);
      } finally {
        inFlight.set(null);
      }
    }
  }

  private void abortInFlight() {
    Connection c = inFlight.getAndSet(null);
    if (c != null) {
      try {
        c.abort(Runnable::run);
      } catch (SQLException | RuntimeException e) {
        // Closing a socket the server stopped answering on: nothing more to do.
      }
    }
  }

  @Override
  public void close() {
    abortInFlight();
    workers.shutdownNow();
    pool.close();
  }

  // --- what the adapter asks the local server ---------------------------------------------------

  /**
   * One look at a running server.
   *
   * @param inRecovery a standby (or a server still recovering)
   * @param writeLsn on a primary, the WAL write position
   * @param timeline a primary's current timeline; a standby's last received (or checkpoint) timeline
   * @param receivedLsn on a standby, WAL received and flushed; empty before any was streamed
   * @param replayedLsn on a standby, WAL replayed
   * @param walReceiver on a standby, the WAL receiver's state ({@code streaming}, …) or empty when none runs
   * @param synchronousStandbyNames the setting in force
   * @param replicas on a primary, connected standbys that are members
   */
  public record Observation(boolean inRecovery, Lsn writeLsn, long timeline, Optional<Lsn> receivedLsn, Lsn replayedLsn,
      Optional<String> walReceiver, String systemIdentifier, String synchronousStandbyNames, List<ReplicaInfo> replicas,
      boolean pendingRestart) {
    public Observation {
      replicas = List.copyOf(replicas);
    }

    public Set<MemberId> synchronousStandbys() {
      return SynchronousStandbyNames.parse(synchronousStandbyNames);
    }
  }

  private static final String STATUS_SQL = "SELECT pg_is_in_recovery(),"
      + " CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END,"
      + " CASE WHEN pg_is_in_recovery() THEN NULL"
      + "   ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END,"
      + " pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text,"
      + " (SELECT received_tli FROM pg_stat_wal_receiver),"
      + " (SELECT status FROM pg_stat_wal_receiver),"
      + " (SELECT timeline_id FROM pg_control_checkpoint()),"
      + " (SELECT system_identifier FROM pg_control_system())::text,"
      + " current_setting('synchronous_standby_names'),"
      // A setting changed in the files that the running server can take only at its next start.
      + " (SELECT coalesce(bool_or(pending_restart), false) FROM pg_settings)";

  private static final String REPLICAS_SQL = "SELECT application_name, state, sync_state,"
      + " flush_lsn::text, replay_lsn::text FROM pg_stat_replication";

  public Observation observe(Duration deadline) throws DatabaseException {
    return call("status", deadline, c -> {
      try (Statement s = c.createStatement()) {
        Observation o;
        try (ResultSet r = s.executeQuery(STATUS_SQL)) {
          r.next();
          boolean recovery = r.getBoolean(1);
          Lsn write = lsn(r.getString(2)).orElse(Lsn.ZERO);
          long tli = recovery ? (r.getObject(6) != null ? r.getLong(6) : r.getLong(8)) : r.getLong(3);
          o = new Observation(recovery, write, tli, lsn(r.getString(4)), lsn(r.getString(5)).orElse(Lsn.ZERO),
              Optional.ofNullable(r.getString(7)), r.getString(9), r.getString(10), List.of(), r.getBoolean(11));
        }
        if (o.inRecovery()) {
          return o;
        }
        List<ReplicaInfo> replicas = new ArrayList<>();
        try (ResultSet r = s.executeQuery(REPLICAS_SQL)) {
          while (r.next()) {
            replica(r).ifPresent(replicas::add);
          }
        }
        return new Observation(false, o.writeLsn(), o.timeline(), Optional.empty(), Lsn.ZERO, Optional.empty(),
            o.systemIdentifier(), o.synchronousStandbyNames(), replicas, o.pendingRestart());
      }
    });
  }

  /** A row of {@code pg_stat_replication}, if it is a member's standby (not a base backup, not a stranger). */
  private static Optional<ReplicaInfo> replica(ResultSet r) throws SQLException {
    String name = r.getString(1);
    String state = r.getString(2);
    if (name == null || state == null || state.equals("backup")) {
      return Optional.empty();
    }
    MemberId member;
    try {
      member = MemberId.of(name);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    ReplicaInfo.SyncState sync;
    try {
      sync = ReplicaInfo.SyncState.valueOf(String.valueOf(r.getString(3)).toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      sync = ReplicaInfo.SyncState.ASYNC;
    }
    return Optional.of(new ReplicaInfo(member, state.equals("streaming"), sync,
        lsn(r.getString(4)).orElse(Lsn.ZERO), lsn(r.getString(5)).orElse(Lsn.ZERO)));
  }

  static Optional<Lsn> lsn(String text) {
    return text == null ? Optional.empty() : Optional.of(Lsn.parse(text));
  }
}

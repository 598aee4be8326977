package io.ratisfailover.postgres;

import io.ratisfailover.Epoch;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.ServerParameters;
import io.ratisfailover.postgres.internal.Binaries;
import io.ratisfailover.postgres.internal.Conninfo;
import io.ratisfailover.postgres.internal.ControlData;
import io.ratisfailover.postgres.internal.Divergence;
import io.ratisfailover.postgres.internal.Jdbc;
import io.ratisfailover.postgres.internal.LocalDatabase;
import io.ratisfailover.postgres.internal.MemberState;
import io.ratisfailover.postgres.internal.OsAccount;
import io.ratisfailover.postgres.internal.PidFile;
import io.ratisfailover.postgres.internal.Postmaster;
import io.ratisfailover.postgres.internal.ServerConfiguration;
import io.ratisfailover.postgres.internal.ServerFiles;
import io.ratisfailover.postgres.internal.SlotNames;
import io.ratisfailover.postgres.internal.SqlErrors;
import io.ratisfailover.postgres.internal.SynchronousStandbyNames;
import io.ratisfailover.postgres.internal.TimelineHistory;
import io.ratisfailover.postgres.internal.Tools;
import io.ratisfailover.postgres.internal.UpstreamServer;
import io.ratisfailover.spi.DatabaseAdapter;
import io.ratisfailover.spi.DatabaseEvents;
import io.ratisfailover.spi.DatabaseException;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.FenceMode;
import io.ratisfailover.spi.PrimaryTopology;
import io.ratisfailover.spi.Promotion;
import io.ratisfailover.spi.Upstream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link DatabaseAdapter} for PostgreSQL 13 and later, driving a local server through its own
 * programs ({@code postgres}, {@code initdb}, {@code pg_basebackup}, {@code pg_rewind},
 * {@code pg_controldata}, {@code pg_waldump}) and a JDBC connection.
 *
 * <p>The postmaster runs as a child of this JVM (through {@code setpriv} when the agent runs as
 * root), so a crash is reported to the agent the moment it happens. An adapter started while its
 * server runs finds it through {@code postmaster.pid}. The adapter owns {@code postgresql.conf}
 * and {@code pg_hba.conf} and rewrites them on every role change; {@code initdb}'s own settings are
 * kept in {@code postgresql.base.conf}. It never deletes a data directory's contents unless
 * {@link PostgresConfig#allowDataDirectoryRemoval()} says so.
 *
 * <p>Threads, as the SPI requires: one caller at a time for everything but {@link #fence}, which
 * may run at any moment; a fence makes any start decided before it fail.
 */
public final class PostgresAdapter implements DatabaseAdapter {
  private static final Logger log = LoggerFactory.getLogger(PostgresAdapter.class);
  private static final long POLL_NANOS = Duration.ofMillis(10).toNanos();
  /**
   * How long a standby start waits to accept connections. A rewound or fresh standby may not reach
   * a consistent state until its upstream streams to it, which can take long; status then says
   * STARTING, and the agent waits with the database thread free.
   */
  private static final Duration REPLICA_READY_WAIT = Duration.ofSeconds(5);
  /** After an immediate shutdown request, how long before every server process gets SIGKILL. */
  private static final Duration IMMEDIATE_GRACE = Duration.ofSeconds(1);
  /** Bound on short statements of the adapter's own (slots, roles, settings, promotion). */
  private static final Duration STATEMENT = Duration.ofSeconds(10);

  private final MemberId self;
  private final PostgresConfig config;
  private final Postmaster postmaster;
  private final LocalDatabase local;
  private final Set<Long> expectedExits = ConcurrentHashMap.newKeySet();
  private final java.util.concurrent.ExecutorService checkpoints;
  private final Object environmentLock = new Object();
  private volatile DatabaseEvents events = () -> {};
  private volatile Environment environment;
  private volatile Epoch epoch = Epoch.ZERO;
  private volatile Optional<MemberState> memberState = Optional.empty();
  private volatile CachedControlData controlCache;
  private volatile boolean closed;

  /** The host-dependent parts, found on first use (a missing install is reported, and healed, per call). */
  private record Environment(Tools tools, ServerFiles files) {}

  private record CachedControlData(long modified, long size, ControlData data) {}

  private PostgresAdapter(MemberId self, PostgresConfig config) {
    this.self = Objects.requireNonNull(self, "self");
    this.config = Objects.requireNonNull(config, "config");
    this.postmaster = new Postmaster(config.dataDirectory(), config.serverLog(), this::postmasterExited);
    this.local = new LocalDatabase(self, config);
    this.checkpoints = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "ratis-failover-" + self + "-checkpoint");
      t.setDaemon(true);
      return t;
    });
  }

  /** An adapter for member {@code self}'s server; touches nothing until the agent calls it. */
  public static PostgresAdapter create(MemberId self, PostgresConfig config) {
    return new PostgresAdapter(self, config);
  }

  public MemberId member() {
    return self;
  }

  /**
   * Resolves the server binaries and the OS account PostgreSQL runs as, so that a program can
   * refuse to start with one clear line instead of failing inside the agent loop.
   *
   * @throws DatabaseException of kind {@code MISCONFIGURED} naming what is missing
   */
  public void checkInstallation() throws DatabaseException {
    environment();
  }

  public PostgresConfig config() {
    return config;
  }

  @Override
  public void attach(DatabaseEvents events) {
    this.events = Objects.requireNonNull(events, "events");
  }

  /** {@code host} and {@code port} where other members reach this server. */
  @Override
  public Map<String, String> attributes() {
    return Map.of("host", config.connectHost(), "port", Integer.toString(config.port()));
  }

  // --- status -----------------------------------------------------------------------------------

  @Override
  public DatabaseStatus status() throws DatabaseException {
    Environment env = environment();
    ServerFiles files = env.files();
    if (!files.hasCluster()) {
      return DatabaseStatus.of(DatabaseState.ABSENT, absentDetail(files));
    }
    Optional<Postmaster.Running> running = postmaster.running();
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
      o = local.observe(config.statusTimeout());
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
    Optional<MemberId> upstream = state(files).flatMap(MemberState::upstream);
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
    ControlData cd = controlData(env);
    Optional<MemberId> upstream = state(env.files()).flatMap(MemberState::upstream);
    return new DatabaseStatus(DatabaseState.RECOVERING, cd.positionTimeline(), Lsn.ZERO, cd.minRecoveryPoint(),
        cd.minRecoveryPoint(), upstream, Optional.of(cd.systemIdentifier()), List.of(), Set.of(),
        "standby not consistent yet after " + startingFor + " s: waiting for WAL from "
            + upstream.map(MemberId::value).orElse("an upstream"));
  }

  private DatabaseStatus stoppedStatus(Environment env) throws DatabaseException {
    ControlData cd = controlData(env);
    String detail;
    if (cd.clusterState().equals("shut down")) {
      detail = "shut down cleanly";
    } else if (cd.clusterState().equals("shut down in recovery")) {
      detail = "standby, shut down cleanly";
    } else {
      detail = "not running; stopped without a clean shutdown (" + cd.clusterState() + ")";
    }
    List<Long> doomed = postmaster.doomedProcesses();
    List<Long> live = postmaster.liveProcesses();
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

  // --- bootstrap ------------------------------------------------------------------------------------

  @Override
  public void bootstrap(PrimaryTopology topology) throws DatabaseException {
    epoch = topology.epoch();
    Environment env = environment();
    ServerFiles files = env.files();
    long decidedAt = postmaster.generation();
    if (files.hasCluster()) {
      Optional<MemberState> mine = state(files);
      if (mine.isEmpty()) {
        ControlData cd = controlData(env);
        throw new DatabaseException(DatabaseException.Kind.DATA_MISMATCH, "data directory " + files.directory()
            + " already holds a PostgreSQL cluster (system identifier " + cd.systemIdentifier()
            + ") that member " + self + " did not create; bootstrap only creates new clusters. Move it away, or"
            + " start the cluster so that this member adopts it as a standby");
      }
      log.info("member {} epoch {}: bootstrap: the cluster exists already; making sure it runs as primary", self, epoch);
      startPrimaryWithin(env, topology, decidedAt, mine.get().bootstrapped());
      finishBootstrap(env, topology);
      return;
    }
    requireEmpty(files, "bootstrap a new cluster");
    log.info("member {} epoch {}: bootstrap: initdb into {}", self, epoch, files.directory());
    try {
      files.createDirectory();
    } catch (IOException e) {
      throw io("create the data directory " + files.directory(), e);
    }
    env.tools().initdb(files.directory());
    try {
      if (files.exists("postgresql.conf") && !files.exists(ServerConfiguration.BASE_FILE)) {
        files.rename("postgresql.conf", ServerConfiguration.BASE_FILE);
      }
      writeServerConfig(files, ServerConfiguration.Role.primary(syncNames(topology)));
      files.writeState(new MemberState(self, Optional.empty(), false));
      memberState = Optional.empty();
    } catch (IOException e) {
      throw io("write the configuration of the new cluster", e);
    }
    requireLease("starting the new cluster as primary");
    startServer(env, decidedAt, true);
    finishBootstrap(env, topology);
    log.info("member {} epoch {}: bootstrap done; primary on timeline 1", self, epoch);
  }

  /** The roles and slots a new cluster needs; repeatable until it records that it finished. */
  private void finishBootstrap(Environment env, PrimaryTopology topology) throws DatabaseException {
    PostgresConfig.Credentials repl = config.replication();
    local.call("create the replication role", STATEMENT, c -> {
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
    configurePrimary(topology);
    try {
      env.files().writeState(new MemberState(self, Optional.empty(), true));
      memberState = Optional.empty();
    } catch (IOException e) {
      throw io("record that bootstrap finished", e);
    }
  }

  // --- standby ------------------------------------------------------------------------------------

  @Override
  public void startReplica(Optional<Upstream> target) throws DatabaseException {
    Environment env = environment();
    ServerFiles files = env.files();
    long decidedAt = postmaster.generation();
    Optional<UpstreamServer> upstream = target.isPresent() ? Optional.of(upstreamServer(target.get())) : Optional.empty();
    if (!files.hasCluster()) {
      if (upstream.isEmpty()) {
        throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "no data directory yet and no upstream to clone"
            + " from: waiting for a primary");
      }
      prepareForClone(files);
      clone(env, upstream.get());
    } else {
      Optional<Postmaster.Running> running = postmaster.running();
      if (running.isPresent() && followRunning(env, running.get(), upstream)) {
        return;
      }
      if (postmaster.running().isPresent()) {
        stopServer(FenceMode.FAST, "switching upstream needs a restart");
      }
      awaitAllGone(env);
      if (files.exists(ServerFiles.BACKUP_LABEL)) {
        // A clone that never started: pg_control says "in production" because it was copied from a
        // running primary. It is no crashed primary; recovering it as one would end recovery and write
        // WAL of its own, diverging from its upstream. Its first start as a standby recovers it.
        log.info("member {} epoch {}: the clone in {} has not started yet; starting it as a standby", self, epoch,
            files.directory());
        if (upstream.isPresent()) {
          writeHistory(env, upstream.get());
        }
      } else {
        ControlData cd = controlData(env);
        if (cd.shutdown() == ControlData.Shutdown.CRASHED_PRIMARY) {
          finishCrashRecovery(env);
          cd = controlData(env);
        }
        if (upstream.isPresent() && !rewindIfDiverged(env, upstream.get(), cd)) {
          writeHistory(env, upstream.get());
        }
      }
    }
    upstream.ifPresent(u -> ensureSlotOn(u));
    try {
      writeServerConfig(files, standbyRole(upstream));
      files.write(ServerFiles.STANDBY_SIGNAL, "");
      files.delete(ServerFiles.RECOVERY_SIGNAL);
      writeState(files, upstream.map(UpstreamServer::member));
    } catch (IOException e) {
      throw io("write the standby configuration", e);
    }
    startServer(env, decidedAt, false);
    log.info("member {} epoch {}: running as a standby of {}", self, epoch,
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
      log.info("member {} epoch {}: the standby does not accept connections yet; restarting it to follow {}", self,
          epoch, upstream.map(UpstreamServer::describe).orElse("nobody"));
      return false;
    }
    LocalDatabase.Observation o = local.observe(STATEMENT);
    if (!o.inRecovery()) {
      log.warn("member {} epoch {}: asked to follow {} while the database is writable; stopping it first", self, epoch,
          upstream.map(UpstreamServer::describe).orElse("nobody"));
      return false;
    }
    ServerFiles files = env.files();
    Optional<MemberId> current = state(files).flatMap(MemberState::upstream);
    String wanted = ServerConfiguration.postgresqlConf(self, config, standbyRole(upstream));
    boolean unchanged = files.exists(ServerFiles.STANDBY_SIGNAL)
        && readQuietly(files, "postgresql.conf").filter(wanted::equals).isPresent();
    if (unchanged && current.equals(upstream.map(UpstreamServer::member))) {
      return true;
    }
    String why = "no upstream";
    if (upstream.isPresent()) {
      UpstreamServer up = upstream.get();
      UpstreamServer.Identity theirs = up.identify();
      requireSameSystem(o.systemIdentifier(), up, theirs);
      Optional<TimelineHistory> history = history(up, theirs.timeline());
      UpstreamServer me = new UpstreamServer(self, config.localHost(), config.port(), config, self);
      UpstreamServer.Identity mine = me.identify();
      Divergence.Verdict verdict = Divergence.decide(ControlData.Shutdown.STANDBY, mine.timeline(),
          Optional.of(mine.position()), localHistory(files, mine.timeline()), theirs.timeline(), history,
          Optional.empty());
      if (verdict.rewind()) {
        log.info("member {} epoch {}: cannot follow {} as it runs: {}", self, epoch, up.describe(), verdict.reason());
        return false;
      }
      // Only now: the upstream's history file may carry the number of one of ours.
      history.ifPresent(h -> writeHistoryFile(env, h.timeline(), up));
      why = "no rewind needed: " + verdict.reason();
      ensureSlotOn(up);
    }
    try {
      writeServerConfig(files, standbyRole(upstream));
      writeState(files, upstream.map(UpstreamServer::member));
    } catch (IOException e) {
      throw io("write the standby configuration", e);
    }
    reloadServer();
    log.info("member {} epoch {}: now following {} (reloaded, no restart; {})", self, epoch,
        upstream.map(UpstreamServer::describe).orElse("nobody"), why);
    return true;
  }

  /**
   * Rewinds the stopped data directory when its history left the upstream's; falls back to a fresh
   * clone when the configuration allows.
   *
   * @return whether the data directory was rewound or re-cloned
   */
  private boolean rewindIfDiverged(Environment env, UpstreamServer up, ControlData cd) throws DatabaseException {
    UpstreamServer.Identity theirs = up.identify();
    requireSameSystem(cd.systemIdentifier(), up, theirs);
    Optional<TimelineHistory> history = history(up, theirs.timeline());
    Optional<Lsn> checkpointEnd = Optional.empty();
    if (cd.shutdown() == ControlData.Shutdown.CLEAN_PRIMARY && cd.checkpointTimeline() < theirs.timeline()) {
      checkpointEnd = env.tools().recordEnd(config.dataDirectory(), cd.checkpointTimeline(), cd.checkpoint());
    }
    Divergence.Verdict verdict = Divergence.decide(cd.shutdown(), cd.positionTimeline(), cd.knownPosition(),
        localHistory(env.files(), cd.positionTimeline()), theirs.timeline(), history, checkpointEnd);
    if (!verdict.rewind()) {
      log.info("member {} epoch {}: no rewind needed to follow {}: {}", self, epoch, up.describe(), verdict.reason());
      return false;
    }
    DatabaseException failed;
    if (verdict.action() == Divergence.Action.RECLONE) {
      failed = new DatabaseException(DatabaseException.Kind.DATA_MISMATCH, "cannot rewind " + config.dataDirectory()
          + " to follow " + up.describe() + ": " + verdict.reason() + ", which pg_rewind takes for one timeline");
    } else if (!cd.rewindable()) {
      failed = new DatabaseException(DatabaseException.Kind.DATA_MISMATCH, "cannot rewind " + config.dataDirectory()
          + ": it has neither data checksums nor wal_log_hints");
    } else {
      log.info("member {} epoch {}: rewinding to follow {}: {}", self, epoch, up.describe(), verdict.reason());
      try {
        ServerFiles files = env.files();
        // pg_rewind may run the server in single-user mode for crash recovery, which refuses standby mode.
        files.delete(ServerFiles.STANDBY_SIGNAL);
        files.delete(ServerFiles.RECOVERY_SIGNAL);
        up.ensureCheckpointAfterPromotion(STATEMENT.multipliedBy(6));
        Tools.Rewind result = env.tools().rewind(config.dataDirectory(), up);
        controlCache = null;
        log.info("member {} epoch {}: pg_rewind: {}", self, epoch,
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
    if (config.rewindPolicy() != PostgresConfig.RewindPolicy.REWIND_THEN_RECLONE) {
      throw new DatabaseException(DatabaseException.Kind.DATA_MISMATCH, failed.getMessage()
          + ". The data directory is left as it is: reinitialize this member, or allow re-cloning with"
          + " rewindPolicy REWIND_THEN_RECLONE and allowDataDirectoryRemoval", failed);
    }
    log.warn("member {} epoch {}: rewind failed ({}); re-cloning from {} as rewindPolicy allows", self, epoch,
        failed.getMessage(), up.describe());
    removeDataDirectoryContents(env.files(), "re-clone after a failed rewind");
    clone(env, up);
    return true;
  }

  private void finishCrashRecovery(Environment env) throws DatabaseException {
    log.info("member {} epoch {}: finishing the crash recovery of the former primary in single-user mode", self, epoch);
    try {
      env.files().delete(ServerFiles.STANDBY_SIGNAL);
      env.files().delete(ServerFiles.RECOVERY_SIGNAL);
    } catch (IOException e) {
      throw io("prepare the crash recovery", e);
    }
    env.tools().finishCrashRecovery(config.dataDirectory());
    controlCache = null;
  }

  private void clone(Environment env, UpstreamServer up) throws DatabaseException {
    ServerFiles files = env.files();
    log.info("member {} epoch {}: cloning {} into {}", self, epoch, up.describe(), files.directory());
    try {
      files.createDirectory();
    } catch (IOException e) {
      throw io("create the data directory " + files.directory(), e);
    }
    String slot = SlotNames.of(self);
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
    controlCache = null;
    log.info("member {} epoch {}: cloned {}", self, epoch, up.describe());
  }

  private void prepareForClone(ServerFiles files) throws DatabaseException {
    try {
      if (files.isEmpty()) {
        return;
      }
    } catch (IOException e) {
      throw io("read the data directory " + files.directory(), e);
    }
    String what = files.incompleteClone() ? "holds an unfinished clone" : "is not empty but holds no PostgreSQL cluster";
    if (!config.allowDataDirectoryRemoval()) {
      throw new DatabaseException(DatabaseException.Kind.DATA_MISMATCH, "cannot clone into " + files.directory() + ": it "
          + what + "; empty it, or set allowDataDirectoryRemoval to let the adapter do so");
    }
    removeDataDirectoryContents(files, "clone into a directory that " + what);
  }

  private void writeHistory(Environment env, UpstreamServer up) throws DatabaseException {
    UpstreamServer.Identity theirs = up.identify();
    history(up, theirs.timeline()).ifPresent(h -> writeHistoryFile(env, h.timeline(), up));
  }

  /**
   * Puts the upstream's timeline history into {@code pg_wal} before the standby starts, so that
   * recovery targets the upstream's timeline from its first record and switches at the branch
   * point, instead of first replaying WAL it received from the old primary past that point.
   */
  private void writeHistoryFile(Environment env, long timeline, UpstreamServer up) {
    try {
      Optional<String> content = up.history(timeline);
      if (content.isPresent()) {
        env.files().write("pg_wal/" + TimelineHistory.fileName(timeline), content.get());
      }
    } catch (DatabaseException | IOException e) {
      log.warn("member {} epoch {}: could not copy the history of timeline {} from {}: {}", self, epoch, timeline,
          up.describe(), e.getMessage());
    }
  }

  /** This data directory's own history of {@code timeline}, as its {@code pg_wal} holds it. */
  private static Optional<TimelineHistory> localHistory(ServerFiles files, long timeline) {
    if (timeline <= 1) {
      return Optional.empty();
    }
    try {
      return readQuietly(files, "pg_wal/" + TimelineHistory.fileName(timeline)).map(t -> TimelineHistory.parse(timeline, t));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private Optional<TimelineHistory> history(UpstreamServer up, long timeline) throws DatabaseException {
    Optional<String> text = up.history(timeline);
    try {
      return text.map(t -> TimelineHistory.parse(timeline, t));
    } catch (IllegalArgumentException e) {
      throw new DatabaseException(DatabaseException.Kind.FATAL, "history of timeline " + timeline + " on "
          + up.describe() + " cannot be read: " + e.getMessage(), e);
    }
  }

  private void requireSameSystem(String mine, UpstreamServer up, UpstreamServer.Identity theirs) throws DatabaseException {
    if (!mine.equals(theirs.systemIdentifier())) {
      throw new DatabaseException(DatabaseException.Kind.DATA_MISMATCH, "data directory " + config.dataDirectory()
          + " belongs to another cluster: its system identifier is " + mine + " but upstream " + up.describe()
          + " has " + theirs.systemIdentifier() + ". Nothing was changed; move the directory away (or reinitialize"
          + " this member, which needs allowDataDirectoryRemoval)");
    }
  }

  private void ensureSlotOn(UpstreamServer up) {
    try {
      up.ensureSlot(SlotNames.of(self));
    } catch (DatabaseException e) {
      // The upstream also creates slots for its standbys; the WAL receiver retries meanwhile.
      log.warn("member {} epoch {}: could not make sure slot {} exists on {}: {}", self, epoch, SlotNames.of(self),
          up.describe(), e.getMessage());
    }
  }

  private ServerConfiguration.Role standbyRole(Optional<UpstreamServer> upstream) {
    return ServerConfiguration.Role.standby(upstream.map(u -> ServerConfiguration.withSsl(new Conninfo()
        .set("host", u.host()).set("port", Integer.toString(u.port())).set("user", config.replication().user())
        .set("password", config.replication().password()).set("application_name", self.value())
        .set("connect_timeout", Long.toString(Jdbc.seconds(config.connectTimeout()))), config)),
        upstream.map(u -> SlotNames.of(self)));
  }

  private UpstreamServer upstreamServer(Upstream u) throws DatabaseException {
    String host = u.attributes().get("host");
    String port = u.attributes().get("port");
    if (host == null || port == null) {
      throw new DatabaseException(DatabaseException.Kind.MISCONFIGURED, "upstream " + u.member()
          + " published no host and port (attributes " + u.attributes().keySet() + "); is it a PostgreSQL member?");
    }
    try {
      return new UpstreamServer(u.member(), host, Integer.parseInt(port), config, self);
    } catch (NumberFormatException e) {
      throw new DatabaseException(DatabaseException.Kind.MISCONFIGURED, "upstream " + u.member() + " published port '"
          + port + "', not a number", e);
    }
  }

  // --- primary ------------------------------------------------------------------------------------

  @Override
  public void promote(Promotion promotion) throws DatabaseException {
    PrimaryTopology topology = promotion.topology();
    epoch = topology.epoch();
    Environment env = environment();
    long decidedAt = postmaster.generation();
    if (postmaster.running().isEmpty()) {
      throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "cannot promote: the database is not running");
    }
    LocalDatabase.Observation o = local.observe(STATEMENT);
    if (!o.inRecovery()) {
      configurePrimary(topology);
      return;
    }
    long deadline = System.nanoTime() + config.promoteTimeout().toNanos();
    if (promotion.replayAtLeast().isPresent()) {
      Lsn target = promotion.replayAtLeast().get();
      while (o.replayedLsn().isBefore(target)) {
        if (System.nanoTime() - deadline > 0) {
          throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "cannot promote yet: replayed WAL up to "
              + o.replayedLsn() + " of " + target + " within " + config.promoteTimeout().toMillis() + " ms");
        }
        LockSupport.parkNanos(POLL_NANOS);
        o = local.observe(STATEMENT);
      }
    }
    // The standbys the new primary waits for must be in force before it takes its first write: an
    // inherited setting (possibly naming this very server) would make every commit hang.
    String names = syncNames(topology);
    try {
      writeServerConfig(env.files(), ServerConfiguration.Role.primary(names));
    } catch (IOException e) {
      throw io("write the new primary's configuration", e);
    }
    reloadServer();
    awaitSetting("synchronous_standby_names", names, deadline);
    if (postmaster.generation() != decidedAt) {
      throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "the database was fenced during the promotion");
    }
    requireLease("promoting");
    log.info("member {} epoch {}: promoting at replay position {} with synchronous_standby_names '{}'", self, epoch,
        o.replayedLsn(), names);
    local.call("promote", STATEMENT, c -> {
      try (Statement s = c.createStatement()) {
        s.execute("SELECT pg_promote(false)");
      }
      return null;
    });
    while (true) {
      boolean recovery = local.call("check the promotion", STATEMENT, c -> {
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
            + config.promoteTimeout().toMillis() + " ms");
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
    try {
      writeState(env.files(), Optional.empty());
    } catch (IOException e) {
      throw io("record the promotion", e);
    }
    configurePrimary(topology);
    log.info("member {} epoch {}: promoted; accepting writes", self, epoch);
    checkpointSoon();
  }

  /**
   * A checkpoint right after a promotion, in the background: PostgreSQL's own first checkpoint on
   * the new timeline is spread over minutes, and until it ends the control file names the old
   * timeline, which misleads {@code pg_rewind} when this server is its source or its target.
   */
  private void checkpointSoon() {
    Epoch at = epoch;
    try {
      checkpoints.execute(() -> {
        Duration bound = config.promoteTimeout().multipliedBy(10);
        try (java.sql.Connection c = Jdbc.open(config.localHost(), config.port(), Jdbc.properties(config.superuser(),
            config.connectTimeout(), bound.plusSeconds(5), bound, "ratis-failover agent")); Statement s = c.createStatement()) {
          s.execute("CHECKPOINT");
          log.debug("member {} epoch {}: checkpoint after the promotion done", self, at);
        } catch (SQLException e) {
          log.warn("member {} epoch {}: checkpoint after the promotion failed: {}", self, at, SqlErrors.describe(e));
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      log.debug("member {} epoch {}: adapter closed; no checkpoint after the promotion", self, at);
    }
  }

  @Override
  public void startPrimary(PrimaryTopology topology) throws DatabaseException {
    epoch = topology.epoch();
    Environment env = environment();
    startPrimaryWithin(env, topology, postmaster.generation(), true);
  }

  private void startPrimaryWithin(Environment env, PrimaryTopology topology, long decidedAt, boolean configure)
      throws DatabaseException {
    ServerFiles files = env.files();
    if (!files.hasCluster()) {
      throw new DatabaseException(DatabaseException.Kind.DATA_MISMATCH, "cannot start a primary: " + files.directory()
          + " holds no cluster");
    }
    if (postmaster.running().isPresent()) {
      LocalDatabase.Observation o = local.observe(STATEMENT);
      if (o.inRecovery()) {
        throw new DatabaseException(DatabaseException.Kind.FATAL, "cannot start as primary: the database runs as a"
            + " standby; only a promotion may make it writable");
      }
      if (configure) {
        configurePrimary(topology);
      }
      return;
    }
    if (files.exists(ServerFiles.STANDBY_SIGNAL) || files.exists(ServerFiles.RECOVERY_SIGNAL)) {
      throw new DatabaseException(DatabaseException.Kind.FATAL, "cannot start " + files.directory() + " as a primary:"
          + " it is set up as a standby (standby.signal); only a promotion may make it writable");
    }
    awaitAllGone(env);
    try {
      writeServerConfig(files, ServerConfiguration.Role.primary(syncNames(topology)));
      writeState(files, Optional.empty());
    } catch (IOException e) {
      throw io("write the primary's configuration", e);
    }
    requireLease("starting as primary");
    log.info("member {} epoch {}: starting the primary", self, epoch);
    startServer(env, decidedAt, true);
    if (configure) {
      configurePrimary(topology);
    }
  }

  @Override
  public void configurePrimary(PrimaryTopology topology) throws DatabaseException {
    epoch = topology.epoch();
    Environment env = environment();
    if (postmaster.running().isEmpty()) {
      throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "cannot configure the primary: it is not running");
    }
    Set<String> wantedSlots = new HashSet<>();
    topology.standbys().forEach(m -> wantedSlots.add(SlotNames.of(m)));
    String names = syncNames(topology);
    boolean reconfigure = local.call("configure the primary", STATEMENT, c -> {
      try (Statement s = c.createStatement()) {
        try (ResultSet r = s.executeQuery("SELECT pg_is_in_recovery()")) {
          r.next();
          if (r.getBoolean(1)) {
            throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "cannot configure the primary: the database"
                + " is in recovery");
          }
        }
        Map<String, Boolean> slots = new java.util.HashMap<>();
        try (ResultSet r = s.executeQuery("SELECT slot_name, active FROM pg_replication_slots WHERE slot_type = 'physical'")) {
          while (r.next()) {
            slots.put(r.getString(1), r.getBoolean(2));
          }
        }
        for (String slot : wantedSlots) {
          if (!slots.containsKey(slot)) {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_create_physical_replication_slot(?, true)")) {
              ps.setString(1, slot);
              ps.execute();
            } catch (SQLException e) {
              if (!"42710".equals(e.getSQLState())) {
                throw e;
              }
            }
            log.info("member {} epoch {}: created replication slot {}", self, epoch, slot);
          }
        }
        for (Map.Entry<String, Boolean> slot : slots.entrySet()) {
          if (SlotNames.ours(slot.getKey()) && !wantedSlots.contains(slot.getKey()) && !slot.getValue()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
              ps.setString(1, slot.getKey());
              ps.execute();
            }
            log.info("member {} epoch {}: dropped replication slot {} of a former member", self, epoch, slot.getKey());
          }
        }
        try (ResultSet r = s.executeQuery("SELECT current_setting('synchronous_standby_names')")) {
          r.next();
          return !names.equals(r.getString(1));
        }
      }
    });
    String wantedConf = ServerConfiguration.postgresqlConf(self, config, ServerConfiguration.Role.primary(names));
    if (reconfigure || !readQuietly(env.files(), "postgresql.conf").filter(wantedConf::equals).isPresent()) {
      try {
        writeServerConfig(env.files(), ServerConfiguration.Role.primary(names));
      } catch (IOException e) {
        throw io("write the primary's configuration", e);
      }
      reloadServer();
      awaitSetting("synchronous_standby_names", names, System.nanoTime() + STATEMENT.toNanos());
      log.info("member {} epoch {}: synchronous_standby_names = '{}'", self, epoch, names);
    }
  }

  // --- fencing, stopping, restarting ---------------------------------------------------------------

  @Override
  public void fence(FenceMode mode) throws DatabaseException {
    postmaster.beginFence();
    log.info("member {} epoch {}: fencing the database ({})", self, epoch, mode);
    stopServer(mode, "fence");
  }

  /** Stops the server; FAST escalates to IMMEDIATE after stopTimeout, IMMEDIATE to SIGKILL after a grace. */
  private void stopServer(FenceMode mode, String why) throws DatabaseException {
    Optional<Postmaster.Running> running = postmaster.running();
    if (running.isPresent()) {
      long pid = running.get().pid();
      expectedExits.add(pid);
      if (mode == FenceMode.FAST) {
        postmaster.signal(pid, Postmaster.Signal.INT);
        if (postmaster.awaitExit(pid, config.stopTimeout())) {
          finishStop(why, "shut down cleanly");
          return;
        }
        log.warn("member {} epoch {}: fast shutdown did not finish within {} ms; stopping immediately", self, epoch,
            config.stopTimeout().toMillis());
      }
      postmaster.signal(pid, Postmaster.Signal.QUIT);
      if (postmaster.awaitExit(pid, IMMEDIATE_GRACE) && postmaster.liveProcesses().isEmpty()) {
        finishStop(why, "stopped immediately");
        return;
      }
    }
    if (!postmaster.liveProcesses().isEmpty()) {
      log.warn("member {} epoch {}: killing server processes {} ({})", self, epoch, postmaster.liveProcesses(), why);
      postmaster.killAll();
    }
    List<Long> left = postmaster.awaitNoLiveProcesses(config.stopTimeout());
    if (!left.isEmpty()) {
      throw new DatabaseException(DatabaseException.Kind.FATAL, "server processes " + left + " of "
          + config.dataDirectory() + " survived SIGKILL; the database may still take writes");
    }
    finishStop(why, running.isPresent() ? "killed" : "was not running");
  }

  private void finishStop(String why, String how) {
    local.forgetConnections();
    controlCache = null;
    log.info("member {} epoch {}: database {} ({})", self, epoch, how, why);
  }

  @Override
  public void restart() throws DatabaseException {
    Environment env = environment();
    long decidedAt = postmaster.generation();
    if (postmaster.running().isEmpty()) {
      throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "cannot restart: the database is not running");
    }
    boolean primary = !local.observe(STATEMENT).inRecovery();
    stopServer(FenceMode.FAST, "restart");
    awaitAllGone(env);
    if (primary) {
      requireLease("restarting as primary");
    }
    startServer(env, decidedAt, primary);
  }

  @Override
  public void reload() throws DatabaseException {
    environment();
    reloadServer();
  }

  /**
   * Writes the cluster's parameters to {@link ServerConfiguration#CLUSTER_FILE}, which
   * {@code postgresql.conf} includes before the member's own parameters (so those win), and its
   * {@code pg_hba} lines to {@link ServerConfiguration#CLUSTER_HBA_FILE}, appended to
   * {@code pg_hba.conf} after the adapter's lines. Reloads when a file changed and the server runs;
   * a stopped server reads them at its next start. A parameter that needs a restart then shows as
   * {@link DatabaseStatus#pendingRestart()}.
   */
  @Override
  public void applyClusterParameters(ServerParameters parameters) throws DatabaseException {
    Environment env = environment();
    ServerFiles files = env.files();
    if (!files.hasCluster()) {
      return;
    }
    boolean changed;
    try {
      changed = writeIfChanged(files, ServerConfiguration.CLUSTER_FILE, ServerConfiguration.clusterConf(self, parameters));
      changed |= writeIfChanged(files, ServerConfiguration.CLUSTER_HBA_FILE, ServerConfiguration.clusterHba(parameters));
      String hba = ServerConfiguration.pgHbaConf(self, config, parameters.pgHba());
      changed |= writeIfChanged(files, "pg_hba.conf", hba);
    } catch (IOException e) {
      throw io("write the cluster's PostgreSQL settings", e);
    }
    if (changed && postmaster.running().isPresent()) {
      reloadServer();
      log.info("member {} epoch {}: applied the cluster's PostgreSQL settings ({} parameters, {} pg_hba lines), reloaded",
          self, epoch, parameters.parameters().size(), parameters.pgHba().size());
    }
  }

  private static boolean writeIfChanged(ServerFiles files, String name, String content) throws IOException {
    if (files.read(name).filter(content::equals).isPresent()) {
      return false;
    }
    files.write(name, content);
    return true;
  }

  @Override
  public void reinitialize(Upstream target) throws DatabaseException {
    if (!config.allowDataDirectoryRemoval()) {
      throw new DatabaseException(DatabaseException.Kind.MISCONFIGURED, "reinitialize deletes the data directory "
          + config.dataDirectory() + ", which this member's configuration forbids (allowDataDirectoryRemoval = false)");
    }
    Environment env = environment();
    UpstreamServer up = upstreamServer(target);
    if (postmaster.running().isPresent()) {
      if (!local.observe(STATEMENT).inRecovery()) {
        throw new DatabaseException(DatabaseException.Kind.FATAL, "refusing to reinitialize: the database is writable");
      }
      stopServer(FenceMode.FAST, "reinitialize");
    }
    awaitAllGone(env);
    removeDataDirectoryContents(env.files(), "reinitialize from " + up.describe());
    startReplica(Optional.of(target));
  }

  @Override
  public void close() {
    closed = true;
    checkpoints.shutdownNow();
    local.close();
  }

  // --- helpers ------------------------------------------------------------------------------------

  /**
   * The last check before a step that makes the database writable: the operation may run long after
   * the agent decided on it (a slow replay, a hung server that thawed), and its lease may be gone.
   */
  private void requireLease(String step) throws DatabaseException {
    if (!events.mayBecomeWritable(epoch)) {
      throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "the primary lease for epoch " + epoch
          + " is no longer held: not " + step);
    }
  }

  private void startServer(Environment env, long decidedAt, boolean primary) throws DatabaseException {
    long logStart = postmaster.start(decidedAt, env.tools().account().wrap(
        List.of(env.tools().binaries().path("postgres"), "-D", config.dataDirectory().toString())));
    local.forgetConnections();
    controlCache = null;
    long deadline = System.nanoTime() + (primary ? config.startTimeout() : REPLICA_READY_WAIT).toNanos();
    while (true) {
      Optional<PidFile> pid = PidFile.read(config.dataDirectory());
      Optional<Postmaster.Running> running = postmaster.running();
      if (running.isEmpty() && pid.isPresent() && !pid.get().status().isEmpty()) {
        // Up and gone again: it failed during start-up.
        throw startFailure(logStart);
      }
      if (running.isPresent() && (running.get().status().equals("ready") || running.get().status().equals("standby"))) {
        break;
      }
      if (System.nanoTime() - deadline > 0) {
        if (running.isPresent() && !primary) {
          log.info("member {} epoch {}: standby started; still recovering", self, epoch);
          return;
        }
        if (running.isPresent()) {
          throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "the server did not accept connections within "
              + config.startTimeout().toMillis() + " ms; it is still starting (" + running.get().status() + ")");
        }
        throw startFailure(logStart);
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
    if (primary) {
      boolean recovery;
      while (true) {
        try {
          recovery = local.call("check the started server", STATEMENT, c -> {
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
    String tail = postmaster.logTail(logStart);
    String lower = tail.toLowerCase(java.util.Locale.ROOT);
    DatabaseException.Kind kind = DatabaseException.Kind.FATAL;
    String hint = "";
    if (lower.contains("address already in use") || lower.contains("could not bind")) {
      kind = DatabaseException.Kind.MISCONFIGURED;
      hint = "; is port " + config.port() + " used by another server?";
    } else if (lower.contains("lock file") || lower.contains("still in use")) {
      kind = DatabaseException.Kind.TRANSIENT;
    } else if (lower.contains("no space left")) {
      hint = "; the disk is full";
    }
    return new DatabaseException(kind, "PostgreSQL exited during start-up: " + tail + hint + " (server log "
        + postmaster.logFile() + ")");
  }

  private void reloadServer() throws DatabaseException {
    Optional<Postmaster.Running> running = postmaster.running();
    if (running.isEmpty()) {
      throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "cannot reload: the database is not running");
    }
    postmaster.signal(running.get().pid(), Postmaster.Signal.HUP);
  }

  /** Waits until a new statement sees {@code name} = {@code value}: the server has read its configuration files. */
  private void awaitSetting(String name, String value, long deadline) throws DatabaseException {
    while (true) {
      String current = local.call("read " + name, STATEMENT, c -> {
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
            + "' from its configuration (it still has '" + current + "'); see the server log " + postmaster.logFile());
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }

  private void awaitAllGone(Environment env) throws DatabaseException {
    try {
      if (!postmaster.awaitAllGone(config.stopTimeout())) {
        throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "old server processes of " + config.dataDirectory()
            + " have not exited yet: " + postmaster.liveProcesses() + postmaster.doomedProcesses()
            + " (a killed process that is frozen exits when thawed)");
      }
    } catch (IOException e) {
      throw io("remove the stale postmaster.pid", e);
    }
  }

  private void writeServerConfig(ServerFiles files, ServerConfiguration.Role role) throws IOException {
    files.write("postgresql.conf", ServerConfiguration.postgresqlConf(self, config, role));
    // The cluster's pg_hba lines as last applied, kept in the data directory across restarts.
    List<String> clusterHba = files.read(ServerConfiguration.CLUSTER_HBA_FILE)
        .map(ServerConfiguration::parseClusterHba).orElse(List.of());
    files.write("pg_hba.conf", ServerConfiguration.pgHbaConf(self, config, clusterHba));
    Optional<String> auto = files.read("postgresql.auto.conf");
    if (auto.isPresent()) {
      String cleaned = ServerConfiguration.cleanAutoConf(auto.get());
      if (!cleaned.equals(auto.get())) {
        log.warn("member {} epoch {}: removed settings the adapter manages from postgresql.auto.conf", self, epoch);
        files.write("postgresql.auto.conf", cleaned);
      }
    }
  }

  private void writeState(ServerFiles files, Optional<MemberId> upstream) throws IOException {
    MemberState next = new MemberState(self, upstream, true);
    files.writeState(next);
    memberState = Optional.of(next);
  }

  private Optional<MemberState> state(ServerFiles files) throws DatabaseException {
    Optional<MemberState> cached = memberState;
    if (cached.isPresent()) {
      return cached;
    }
    try {
      Optional<MemberState> read = files.state(self);
      memberState = read;
      return read;
    } catch (IOException e) {
      throw io("read " + MemberState.FILE, e);
    }
  }

  private ControlData controlData(Environment env) throws DatabaseException {
    Path control = config.dataDirectory().resolve("global/pg_control");
    long modified;
    long size;
    try {
      modified = Files.getLastModifiedTime(control).toMillis();
      size = Files.size(control);
    } catch (IOException e) {
      throw io("read " + control, e);
    }
    CachedControlData cached = controlCache;
    if (cached != null && cached.modified() == modified && cached.size() == size) {
      return cached.data();
    }
    ControlData data = env.tools().controlData(config.dataDirectory());
    controlCache = new CachedControlData(modified, size, data);
    return data;
  }

  private void removeDataDirectoryContents(ServerFiles files, String why) throws DatabaseException {
    if (!config.allowDataDirectoryRemoval()) {
      throw new DatabaseException(DatabaseException.Kind.MISCONFIGURED, "refusing to delete the contents of "
          + files.directory() + " to " + why + ": allowDataDirectoryRemoval is false");
    }
    log.warn("member {} epoch {}: deleting the contents of {} to {}", self, epoch, files.directory(), why);
    try {
      files.removeContents();
    } catch (IOException e) {
      throw io("empty " + files.directory(), e);
    }
    memberState = Optional.empty();
    controlCache = null;
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

  private Environment environment() throws DatabaseException {
    Environment env = environment;
    if (env != null) {
      return env;
    }
    synchronized (environmentLock) {
      if (environment == null) {
        OsAccount account;
        try {
          account = OsAccount.resolve(config.osUser());
        } catch (IllegalStateException e) {
          throw new DatabaseException(DatabaseException.Kind.MISCONFIGURED, e.getMessage(), e);
        }
        Binaries bin;
        try {
          bin = Binaries.find(config.binDirectory());
        } catch (Binaries.NotFoundException e) {
          throw new DatabaseException(DatabaseException.Kind.MISCONFIGURED, e.getMessage(), e);
        }
        environment = new Environment(new Tools(bin, account, config, self),
            new ServerFiles(config.dataDirectory(), account));
        log.info("member {} epoch {}: PostgreSQL {} from {}{}", self, epoch, bin.majorVersion(), bin.directory(),
            account.user().map(u -> ", running as " + u).orElse(""));
      }
      return environment;
    }
  }

  private void postmasterExited(long pid) {
    if (closed) {
      return;
    }
    if (expectedExits.remove(pid)) {
      log.debug("member {} epoch {}: postmaster {} exited", self, epoch, pid);
    } else {
      log.warn("member {} epoch {}: postmaster {} exited unexpectedly", self, epoch, pid);
    }
    local.forgetConnections();
    events.statusMayHaveChanged();
  }

  private String syncNames(PrimaryTopology topology) {
    return SynchronousStandbyNames.format(topology.synchronousStandbys(), topology.blockWritesWithoutStandby());
  }

  private static Optional<String> readQuietly(ServerFiles files, String name) {
    try {
      return files.read(name);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static String sqlState(DatabaseException e) {
    Throwable t = e.getCause();
    return t instanceof SQLException sql && sql.getSQLState() != null ? sql.getSQLState() : "";
  }

  private static DatabaseException io(String what, IOException e) {
    String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    DatabaseException.Kind kind = msg.contains("No space left") ? DatabaseException.Kind.FATAL
        : DatabaseException.Kind.MISCONFIGURED;
    return new DatabaseException(kind, "cannot " + what + ": " + e.getClass().getSimpleName() + " " + msg, e);
  }

  private static String ident(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }

  private static String literal(String value) {
    return "'" + value.replace("'", "''") + "'";
  }

  @Override
  public String toString() {
    return "PostgresAdapter[" + self + ", " + config.dataDirectory() + "]";
  }
}

package io.ratisfailover.postgres;

import io.ratisfailover.Epoch;
import io.ratisfailover.MemberId;
import io.ratisfailover.postgres.internal.BackupTool;
import io.ratisfailover.postgres.internal.Binaries;
import io.ratisfailover.postgres.internal.ControlData;
import io.ratisfailover.postgres.internal.LocalDatabase;
import io.ratisfailover.postgres.internal.MemberState;
import io.ratisfailover.postgres.internal.OsAccount;
import io.ratisfailover.postgres.internal.Postmaster;
import io.ratisfailover.postgres.internal.ServerConfiguration;
import io.ratisfailover.postgres.internal.ServerFiles;
import io.ratisfailover.postgres.internal.SynchronousStandbyNames;
import io.ratisfailover.postgres.internal.Tools;
import io.ratisfailover.spi.DatabaseEvents;
import io.ratisfailover.spi.DatabaseException;
import io.ratisfailover.spi.PrimaryTopology;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the adapter's procedures share: the member, its configuration, the postmaster and the local
 * connections, the epoch of the operation in progress, and the caches of the files every procedure
 * reads ({@code member.state}, {@code pg_control}). Each procedure class ({@link ServerStatus},
 * {@link ServerControl}, …) takes this context, as Patroni's {@code postgresql/} helpers take the
 * {@code Postgresql} object.
 */
final class AdapterContext {
  /**
   * Every procedure logs as the adapter: operators (and tests) follow one logger for everything the
   * adapter does to the server.
   */
  static final Logger log = LoggerFactory.getLogger(PostgresAdapter.class);
  /** Bound on short statements of the adapter's own (slots, roles, settings, promotion). */
  static final Duration STATEMENT = Duration.ofSeconds(10);

  final MemberId self;
  final PostgresConfig config;
  final Postmaster postmaster;
  final LocalDatabase local;
  private final Object environmentLock = new Object();
  private volatile DatabaseEvents events = () -> {};
  private volatile Environment environment;
  private volatile Epoch epoch = Epoch.ZERO;
  private volatile Optional<MemberState> memberState = Optional.empty();
  private volatile CachedControlData controlCache;

  /**
   * The host-dependent parts, found on first use (a missing install is reported, and healed, per
   * call), and the backup tool when one is configured.
   */
  record Environment(Tools tools, ServerFiles files, Optional<BackupTool> backup) {}

  private record CachedControlData(long modified, long size, ControlData data) {}

  AdapterContext(MemberId self, PostgresConfig config, java.util.function.LongConsumer exits) {
    this.self = Objects.requireNonNull(self, "self");
    this.config = Objects.requireNonNull(config, "config");
    this.postmaster = new Postmaster(config.dataDirectory(), config.serverLog(), exits);
    this.local = new LocalDatabase(self, config);
  }

  Epoch epoch() {
    return epoch;
  }

  void epoch(Epoch epoch) {
    this.epoch = epoch;
  }

  DatabaseEvents events() {
    return events;
  }

  void attach(DatabaseEvents events) {
    this.events = Objects.requireNonNull(events, "events");
  }

  /**
   * The last check before a step that makes the database writable: the operation may run long after
   * the agent decided on it (a slow replay, a hung server that thawed), and its lease may be gone.
   */
  void requireLease(String step) throws DatabaseException {
    if (!events.mayBecomeWritable(epoch)) {
      throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "the primary lease for epoch " + epoch
          + " is no longer held: not " + step);
    }
  }

  void writeServerConfig(ServerFiles files, ServerConfiguration.Role role) throws IOException {
    files.write("postgresql.conf", ServerConfiguration.postgresqlConf(self, config, role));
    // The cluster's pg_hba lines as last applied, kept in the data directory across restarts.
    List<String> clusterHba = files.read(ServerConfiguration.CLUSTER_HBA_FILE)
        .map(ServerConfiguration::parseClusterHba).orElse(List.of());
    files.write("pg_hba.conf", ServerConfiguration.pgHbaConf(self, config, clusterHba));
    Optional<String> auto = files.read("postgresql.auto.conf");
    if (auto.isPresent()) {
      String cleaned = ServerConfiguration.cleanAutoConf(auto.get(), config);
      if (!cleaned.equals(auto.get())) {
        log.warn("member {} epoch {}: removed settings the adapter manages from postgresql.auto.conf", self, epoch);
        files.write("postgresql.auto.conf", cleaned);
      }
    }
  }

  void writeState(ServerFiles files, Optional<MemberId> upstream) throws IOException {
    MemberState next = new MemberState(self, upstream, true);
    files.writeState(next);
    memberState = Optional.of(next);
  }

  /** Drops the cached {@code member.state}: the file was rewritten or removed behind the cache. */
  void forgetState() {
    memberState = Optional.empty();
  }

  Optional<MemberState> state(ServerFiles files) throws DatabaseException {
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

  /** Drops the cached {@code pg_control} reading: the server or a tool may have changed it. */
  void forgetControlData() {
    controlCache = null;
  }

  ControlData controlData(Environment env) throws DatabaseException {
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

  void removeDataDirectoryContents(ServerFiles files, String why) throws DatabaseException {
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

  Environment environment() throws DatabaseException {
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
            new ServerFiles(config.dataDirectory(), account), config.backup().map(b -> BackupTool.of(b, config)));
        log.info("member {} epoch {}: PostgreSQL {} from {}{}", self, epoch, bin.majorVersion(), bin.directory(),
            account.user().map(u -> ", running as " + u).orElse(""));
      }
      return environment;
    }
  }

  String syncNames(PrimaryTopology topology) {
    return SynchronousStandbyNames.format(topology.synchronousStandbys(), topology.quorum(), topology.blockWritesWithoutStandby());
  }

  static Optional<String> readQuietly(ServerFiles files, String name) {
    try {
      return files.read(name);
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  static DatabaseException io(String what, IOException e) {
    String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    DatabaseException.Kind kind = msg.contains("No space left") ? DatabaseException.Kind.FATAL
        : DatabaseException.Kind.MISCONFIGURED;
    return new DatabaseException(kind, "cannot " + what + ": " + e.getClass().getSimpleName() + " " + msg, e);
  }
}

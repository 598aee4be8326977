package io.ratisfailover.postgres;

import io.ratisfailover.MemberId;
import io.ratisfailover.ServerParameters;
import io.ratisfailover.postgres.internal.LocalDatabase;
import io.ratisfailover.spi.DatabaseAdapter;
import io.ratisfailover.spi.DatabaseEvents;
import io.ratisfailover.spi.DatabaseException;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.FenceMode;
import io.ratisfailover.spi.PrimaryTopology;
import io.ratisfailover.spi.Promotion;
import io.ratisfailover.spi.Upstream;
import java.util.Map;
import java.util.Optional;

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
 * <p>The adapter is a facade: each procedure is a class of its own that shares one
 * {@link AdapterContext} (as Patroni's {@code postgresql/} package does): {@link ServerStatus}
 * observes, {@link ServerControl} starts, stops, fences and reloads, {@link Bootstrap} creates a
 * cluster, {@link Standby} follows an upstream (with {@link Cloner}, {@link Histories} and
 * {@link Rewinder}), {@link Promoter} promotes, and {@link PrimarySetup} starts and configures a
 * primary (with {@link BackupStanza} when a backup tool is configured).
 *
 * <p>Threads, as the SPI requires: one caller at a time for everything but {@link #fence}, which
 * may run at any moment; a fence makes any start decided before it fail.
 */
public final class PostgresAdapter implements DatabaseAdapter {
  private final AdapterContext ctx;
  private final ServerControl control;
  private final ServerStatus status;
  private final PrimarySetup primary;
  private final Promoter promoter;
  private final Bootstrap bootstrap;
  private final Standby standby;
  private final ClusterSettingsFiles clusterSettings;
  private final LogicalSlotCopies slotCopies;
  private final BackupStanza stanza;
  private final MemberId self;
  private final PostgresConfig config;
  private final LocalDatabase local;

  private PostgresAdapter(MemberId self, PostgresConfig config) {
    this.ctx = new AdapterContext(self, config, this::postmasterExited);
    this.control = new ServerControl(ctx);
    this.status = new ServerStatus(ctx);
    this.stanza = new BackupStanza(ctx);
    PermanentSlots slots = new PermanentSlots(ctx);
    this.primary = new PrimarySetup(ctx, control, slots, stanza);
    this.promoter = new Promoter(ctx, control, primary);
    this.bootstrap = new Bootstrap(ctx, control, primary, new BackupRestore(ctx, control));
    Cloner cloner = new Cloner(ctx);
    Histories histories = new Histories(ctx);
    this.slotCopies = new LogicalSlotCopies(ctx, control, slots);
    this.standby = new Standby(ctx, control, cloner, histories, new Rewinder(ctx, histories, cloner), slotCopies);
    this.clusterSettings = new ClusterSettingsFiles(ctx, control, slots, slotCopies);
    this.self = ctx.self;
    this.config = ctx.config;
    this.local = ctx.local;
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
    ctx.environment();
  }

  public PostgresConfig config() {
    return config;
  }

  @Override
  public void attach(DatabaseEvents events) {
    ctx.attach(events);
  }

  /** {@code host} and {@code port} where other members reach this server. */
  @Override
  public Map<String, String> attributes() {
    return Map.of("host", config.connectHost(), "port", Integer.toString(config.port()));
  }

  // --- status -----------------------------------------------------------------------------------

  @Override
  public DatabaseStatus status() throws DatabaseException {
    return status.status();
  }

  // --- bootstrap ------------------------------------------------------------------------------------

  @Override
  public void bootstrap(PrimaryTopology topology) throws DatabaseException {
    bootstrap.bootstrap(topology);
  }

  // --- standby ------------------------------------------------------------------------------------

  @Override
  public void startReplica(Optional<Upstream> target) throws DatabaseException {
    standby.startReplica(target);
  }

  @Override
  public void reinitialize(Upstream target) throws DatabaseException {
    standby.reinitialize(target);
  }

  // --- primary ------------------------------------------------------------------------------------

  @Override
  public void promote(Promotion promotion) throws DatabaseException {
    // A primary has no upstream whose logical slots it copies; its own slots are now the cluster's.
    slotCopies.follow(Optional.empty());
    promoter.promote(promotion);
  }

  @Override
  public void startPrimary(PrimaryTopology topology) throws DatabaseException {
    slotCopies.follow(Optional.empty());
    primary.startPrimary(topology);
  }

  @Override
  public void configurePrimary(PrimaryTopology topology) throws DatabaseException {
    primary.configurePrimary(topology);
  }

  // --- fencing, stopping, restarting ---------------------------------------------------------------

  @Override
  public void fence(FenceMode mode) throws DatabaseException {
    control.fence(mode);
  }

  @Override
  public void restart() throws DatabaseException {
    control.restart();
  }

  @Override
  public void reload() throws DatabaseException {
    ctx.environment();
    control.reloadServer();
  }

  @Override
  public void applyClusterParameters(ServerParameters parameters) throws DatabaseException {
    clusterSettings.apply(parameters);
  }

  @Override
  public void close() {
    slotCopies.close();
    control.close();
    promoter.close();
    stanza.close();
    local.close();
  }

  // --- helpers ------------------------------------------------------------------------------------

  private void postmasterExited(long pid) {
    control.exited(pid);
  }

  @Override
  public String toString() {
    return "PostgresAdapter[" + self + ", " + config.dataDirectory() + "]";
  }
}

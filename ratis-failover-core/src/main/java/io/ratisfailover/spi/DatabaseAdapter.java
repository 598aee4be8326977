package io.ratisfailover.spi;

import io.ratisfailover.ServerParameters;
import java.util.Map;
import java.util.Optional;

/**
 * The local database, as the member agent drives it.
 *
 * <p><b>Threads.</b> The agent calls every method except {@link #fence(FenceMode)} from one
 * database thread, one call at a time. {@code fence} runs on a second thread and may overlap any
 * other call (a status call stuck on a hung server, a promotion in progress): it must not wait for
 * them, and they must fail rather than undo the fence.
 *
 * <p><b>Blocking and timeouts.</b> Calls block until done. The agent bounds each with a timeout
 * from {@link io.ratisfailover.Timing} and stops waiting when it passes, but it cannot interrupt a
 * call stuck in I/O: implementations must bound their own I/O (connect and statement timeouts),
 * so that a hung server never holds the database thread for long.
 *
 * <p><b>Idempotency.</b> Every call describes a goal, not a step: calling it again when the goal
 * is already reached does nothing and succeeds.
 *
 * <p><b>Safety.</b> The agent calls {@link #bootstrap}, {@link #promote} and {@link #startPrimary}
 * only while it holds the primary lease for the epoch in the argument. An adapter must never make
 * the database writable on its own.
 */
public interface DatabaseAdapter extends AutoCloseable {

  /** Called once before any other method, with the callback for changes the adapter notices itself. */
  default void attach(DatabaseEvents events) {}

  /**
   * What other members need to reach this database (for example {@code host} and {@code port});
   * published through the replicated state and passed to standbys as {@link Upstream#attributes()}.
   */
  default Map<String, String> attributes() {
    return Map.of();
  }

  /** Observes the database. A server that is not running is a status ({@link DatabaseState#STOPPED}), not an error. */
  DatabaseStatus status() throws DatabaseException;

  /** Creates a brand-new database and starts it read-write, configured for {@code topology}. */
  void bootstrap(PrimaryTopology topology) throws DatabaseException;

  /**
   * Makes the database a running standby of {@code upstream}, or a standby waiting for an
   * upstream when empty: clones when there is no data directory, rewinds (or re-clones, when the
   * configuration allows) when its history diverged from the upstream's, rewrites where it
   * streams from, then starts or reloads.
   */
  void startReplica(Optional<Upstream> upstream) throws DatabaseException;

  /** Promotes the running standby and returns once it accepts writes, configured for the new topology. */
  void promote(Promotion promotion) throws DatabaseException;

  /** Starts a stopped primary in place (after a crash or a fence), read-write, configured for {@code topology}. */
  void startPrimary(PrimaryTopology topology) throws DatabaseException;

  /** Brings a running primary's replication slots and synchronous standbys in line with {@code topology}. */
  void configurePrimary(PrimaryTopology topology) throws DatabaseException;

  /** Stops the database from taking writes; returns only when it takes none. May run concurrently with other calls. */
  void fence(FenceMode mode) throws DatabaseException;

  /** Restarts the running database in its current role. */
  default void restart() throws DatabaseException {
    throw new DatabaseException(DatabaseException.Kind.MISCONFIGURED, "this adapter cannot restart the database");
  }

  /** Re-reads the database's configuration files. */
  default void reload() throws DatabaseException {}

  /**
   * Applies the cluster-wide PostgreSQL settings (from the replicated state): writes them where the
   * database reads its configuration and reloads it. Called on the database thread when the
   * cluster's settings differ from those last applied here (and once after start), never while
   * another operation runs; idempotent. A setting that needs a restart is then reported through
   * {@link DatabaseStatus#pendingRestart()}.
   */
  default void applyClusterParameters(ServerParameters parameters) throws DatabaseException {}

  /** Throws the data directory away and clones it afresh from {@code upstream}, where the configuration allows it. */
  default void reinitialize(Upstream upstream) throws DatabaseException {
    throw new DatabaseException(DatabaseException.Kind.MISCONFIGURED, "this adapter cannot reinitialize the database");
  }

  /** Releases the adapter's own resources (connections, threads). Leaves the database as it is. */
  @Override
  default void close() {}
}

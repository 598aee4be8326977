package io.ratisfailover.sidecar;

import io.ratisfailover.node.config.Callbacks;
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
 * The PostgreSQL adapter, with {@code on_restart} and {@code on_reload} fired after a restart or a
 * reload (the API's {@code POST /restart} and {@code /reload}) succeeded. Everything else passes
 * through unchanged.
 */
final class CallbackDatabase implements DatabaseAdapter {
  private final DatabaseAdapter adapter;
  private final RoleCallbacks callbacks;

  CallbackDatabase(DatabaseAdapter adapter, RoleCallbacks callbacks) {
    this.adapter = adapter;
    this.callbacks = callbacks;
  }

  @Override public void attach(DatabaseEvents events) { adapter.attach(events); }
  @Override public Map<String, String> attributes() { return adapter.attributes(); }
  @Override public DatabaseStatus status() throws DatabaseException { return adapter.status(); }
  @Override public void bootstrap(PrimaryTopology topology) throws DatabaseException { adapter.bootstrap(topology); }
  @Override public void startReplica(Optional<Upstream> upstream) throws DatabaseException { adapter.startReplica(upstream); }
  @Override public void promote(Promotion promotion) throws DatabaseException { adapter.promote(promotion); }
  @Override public void startPrimary(PrimaryTopology topology) throws DatabaseException { adapter.startPrimary(topology); }
  @Override public void configurePrimary(PrimaryTopology topology) throws DatabaseException { adapter.configurePrimary(topology); }
  @Override public void fence(FenceMode mode) throws DatabaseException { adapter.fence(mode); }
  @Override public void reinitialize(Upstream upstream) throws DatabaseException { adapter.reinitialize(upstream); }
  @Override public void close() { adapter.close(); }

  @Override
  public void restart() throws DatabaseException {
    adapter.restart();
    callbacks.fire(Callbacks.Action.ON_RESTART);
  }

  @Override
  public void reload() throws DatabaseException {
    adapter.reload();
    callbacks.fire(Callbacks.Action.ON_RELOAD);
  }
}

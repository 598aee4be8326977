package io.ratisfailover.sim;

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
 * A host's database as its agent drives it in the simulation: the in-memory database, except that
 * the calls that make it writable take time inside the database (replay before {@code pg_promote},
 * crash recovery before accepting writes), during which the world goes on and a pause of the
 * agent's process can fall. What the runtime checked before the call may no longer hold when the
 * database becomes writable.
 */
final class SimDatabase implements DatabaseAdapter {
  private final Simulation sim;
  private final SimNode node;

  SimDatabase(Simulation sim, SimNode node) {
    this.sim = sim;
    this.node = node;
  }

  @Override
  public void attach(DatabaseEvents events) {
    node.database.attach(events);
  }

  @Override
  public Map<String, String> attributes() {
    return node.database.attributes();
  }

  @Override
  public DatabaseStatus status() throws DatabaseException {
    return node.database.status();
  }

  @Override
  public void bootstrap(PrimaryTopology topology) throws DatabaseException {
    takeTime("bootstrap");
    node.database.bootstrap(topology);
  }

  @Override
  public void startReplica(Optional<Upstream> upstream) throws DatabaseException {
    node.database.startReplica(upstream);
  }

  @Override
  public void promote(Promotion promotion) throws DatabaseException {
    takeTime("promote");
    node.database.promote(promotion);
  }

  @Override
  public void startPrimary(PrimaryTopology topology) throws DatabaseException {
    takeTime("start primary");
    node.database.startPrimary(topology);
  }

  @Override
  public void configurePrimary(PrimaryTopology topology) throws DatabaseException {
    node.database.configurePrimary(topology);
  }

  @Override
  public void fence(FenceMode mode) throws DatabaseException {
    node.database.fence(mode);
  }

  @Override
  public void restart() throws DatabaseException {
    node.database.restart();
  }

  @Override
  public void reinitialize(Upstream upstream) throws DatabaseException {
    node.database.reinitialize(upstream);
  }

  private void takeTime(String what) throws DatabaseException {
    if (!sim.block(node, sim.writableAfter())) {
      throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "the agent of " + node.peer.id() + " died during " + what);
    }
  }
}

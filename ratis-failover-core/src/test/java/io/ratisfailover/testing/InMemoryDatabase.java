package io.ratisfailover.testing;

import io.ratisfailover.Epoch;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.spi.DatabaseAdapter;
import io.ratisfailover.spi.DatabaseEvents;
import io.ratisfailover.spi.DatabaseException;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.FenceMode;
import io.ratisfailover.spi.PrimaryTopology;
import io.ratisfailover.spi.Promotion;
import io.ratisfailover.spi.ReplicaInfo;
import io.ratisfailover.spi.Upstream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A database that lives in memory and behaves, for the agent, like a PostgreSQL server: it has a
 * timeline and a WAL position, standbys follow an upstream and receive its WAL whenever they can
 * reach it, promotion starts a new timeline, a crash stops it. It stands in for PostgreSQL in core's
 * tests and in the simulation. Thread-safe: every method locks the shared {@link InMemoryDatabases}.
 */
public final class InMemoryDatabase implements DatabaseAdapter {
  private volatile io.ratisfailover.ServerParameters clusterParameters = io.ratisfailover.ServerParameters.NONE;
  /** One promotion, as the database saw it: for checking that epochs are used once. */
  public record Promotion(MemberId member, Epoch epoch, long timeline) {}

  /** A timeline this database's history went through, and the position where the next one forked off. */
  private record PastTimeline(long timeline, long endLsn) {}

  private final MemberId self;
  private final InMemoryDatabases world;
  private DatabaseState state = DatabaseState.ABSENT;
  private long timeline;
  /** The timelines this database's history went through before its current one. */
  private List<PastTimeline> history = new ArrayList<>();
  private long writeLsn;
  private long receivedLsn;
  private Optional<MemberId> upstream = Optional.empty();
  private Set<MemberId> synchronous = Set.of();
  /** 0: commits wait for every synchronous standby; otherwise for any this many of them (quorum commit). */
  private int quorum;
  private boolean hung;
  private String failNext;
  private DatabaseEvents events = () -> {};
  private final List<Promotion> promotions = new ArrayList<>();

  InMemoryDatabase(MemberId self, InMemoryDatabases world) {
    this.self = self;
    this.world = world;
  }

  public MemberId member() {
    return self;
  }

  // --- faults and writes, for tests --------------------------------------------------------------

  /** The server dies (kill -9 of the postmaster). */
  public void crash() {
    DatabaseEvents e;
    synchronized (world) {
      if (state.isRunning()) {
        state = DatabaseState.STOPPED;
      }
      e = events;
    }
    e.statusMayHaveChanged();
  }

  /** From now on every call blocks until {@link #unhang()}, like a frozen server. */
  public void hang() {
    synchronized (world) {
      hung = true;
    }
  }

  public void unhang() {
    synchronized (world) {
      hung = false;
      world.notifyAll();
    }
  }

  /** The next operation (not status, not fence) fails with this message. */
  public void failNextOperation(String message) {
    synchronized (world) {
      failNext = message;
    }
  }

  /**
   * A client writes {@code bytes} of WAL; returns whether the write was accepted: the server is a
   * running primary and not hung (a frozen server answers nobody, so it takes no write either).
   */
  public boolean write(long bytes) {
    synchronized (world) {
      if (!acceptsWrites()) {
        return false;
      }
      writeLsn += bytes;
      if (synchronousStandbysFlushed()) {
        world.acknowledge(self, timeline, writeLsn);
      }
      return true;
    }
  }

  /** Whether a client's write would be accepted right now. */
  public boolean isWritable() {
    synchronized (world) {
      return acceptsWrites();
    }
  }

  /**
   * Whether a commit at the current position is acknowledged to the client: at once without
   * synchronous standbys (synchronous_standby_names empty), else once every one of them (or, with
   * quorum commit, any {@code quorum} of them), streaming from this primary, has flushed it.
   */
  private boolean synchronousStandbysFlushed() {
    int flushed = 0;
    for (MemberId m : synchronous) {
      InMemoryDatabase standby = world.database(m);
      if (!standby.following(self) || !world.reachable(self, m) || world.frozen(m)) {
        continue;
      }
      standby.catchUp();
      if (standby.timeline == timeline && standby.receivedLsn >= writeLsn) {
        flushed++;
      }
    }
    return flushed >= (quorum == 0 ? synchronous.size() : quorum);
  }

  /** Whether this database's history holds the commit at {@code lsn} of timeline {@code tl}. */
  boolean holds(long tl, long lsn) {
    if (tl == timeline && position() >= lsn) {
      return true;
    }
    return history.stream().anyMatch(h -> h.timeline() == tl && h.endLsn() >= lsn);
  }

  private boolean acceptsWrites() {
    return state == DatabaseState.RUNNING_PRIMARY && !hung && !world.frozen(self);
  }

  public DatabaseState state() {
    synchronized (world) {
      return state;
    }
  }

  public long timeline() {
    synchronized (world) {
      return timeline;
    }
  }

  public List<Promotion> promotions() {
    synchronized (world) {
      return List.copyOf(promotions);
    }
  }

  // --- the adapter --------------------------------------------------------------------------------

  @Override
  public void attach(DatabaseEvents events) {
    synchronized (world) {
      this.events = events;
    }
  }

  @Override
  public Map<String, String> attributes() {
    return Map.of("host", "memory", "port", self.value());
  }

  @Override
  public DatabaseStatus status() {
    synchronized (world) {
      awaitUnhung();
      catchUp();
      switch (state) {
        case RUNNING_PRIMARY:
          return DatabaseStatus.primary(timeline, Lsn.of(writeLsn), world.replicasOf(self), synchronous)
              .withSystemIdentifier(world.systemIdentifier());
        case RUNNING_REPLICA:
          return DatabaseStatus.replica(timeline, Lsn.of(receivedLsn), Lsn.of(receivedLsn), upstream)
              .withSystemIdentifier(world.systemIdentifier());
        case STOPPED:
          return new DatabaseStatus(DatabaseState.STOPPED, timeline, Lsn.of(Math.max(writeLsn, receivedLsn)), Lsn.ZERO,
              Lsn.ZERO, Optional.empty(), Optional.of(world.systemIdentifier()), List.of(), Set.of(), "not running");
        default:
          return DatabaseStatus.of(state, "");
      }
    }
  }

  @Override
  public void bootstrap(PrimaryTopology topology) throws DatabaseException {
    synchronized (world) {
      awaitUnhung();
      failIfAsked();
      if (state != DatabaseState.ABSENT) {
        throw new DatabaseException(DatabaseException.Kind.DATA_MISMATCH, "data directory of " + self + " is not empty");
      }
      requireLease(topology.epoch(), "bootstrapping");
      state = DatabaseState.RUNNING_PRIMARY;
      timeline = world.nextTimeline();
      history = new ArrayList<>();
      writeLsn = 0x100_0000;
      synchronous = topology.synchronousStandbys();
      quorum = topology.quorum();
      promotions.add(new Promotion(self, topology.epoch(), timeline));
      world.recordPromotion(self, topology.epoch());
    }
  }

  @Override
  public void startReplica(Optional<Upstream> target) throws DatabaseException {
    synchronized (world) {
      awaitUnhung();
      failIfAsked();
      Optional<InMemoryDatabase> source = target.map(u -> world.database(u.member()));
      if (state == DatabaseState.ABSENT) {
        if (source.isEmpty() || !source.get().state.isRunning() || !world.reachable(source.get().self, self)) {
          throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "cannot clone " + self + ": upstream "
              + target.map(u -> u.member().value()).orElse("none") + " is not reachable");
        }
        timeline = source.get().timeline;
        history = new ArrayList<>(source.get().history);
        receivedLsn = source.get().position();
      } else if (writeLsn > 0) {
        // A former primary. Alone it replays its own WAL; following another member, its history past
        // the point where the other's timeline forked is rewound away.
        long own = writeLsn;
        writeLsn = 0;
        receivedLsn = own;
        if (source.isPresent() && source.get().timeline > timeline) {
          timeline = source.get().timeline;
          history = new ArrayList<>(source.get().history);
          receivedLsn = Math.min(own, source.get().position());
        }
      }
      state = DatabaseState.RUNNING_REPLICA;
      upstream = target.map(Upstream::member);
      synchronous = Set.of();
      quorum = 0;
      catchUp();
    }
  }

  @Override
  public void promote(io.ratisfailover.spi.Promotion promotion) throws DatabaseException {
    synchronized (world) {
      awaitUnhung();
      failIfAsked();
      if (state == DatabaseState.RUNNING_PRIMARY) {
        return;
      }
      if (state != DatabaseState.RUNNING_REPLICA) {
        throw new DatabaseException(DatabaseException.Kind.TRANSIENT, self + " cannot promote: it is " + state);
      }
      catchUp();
      requireLease(promotion.topology().epoch(), "promoting");
      state = DatabaseState.RUNNING_PRIMARY;
      history.add(new PastTimeline(timeline, receivedLsn));
      timeline = world.nextTimeline();
      writeLsn = receivedLsn;
      receivedLsn = 0;
      upstream = Optional.empty();
      synchronous = promotion.topology().synchronousStandbys();
      quorum = promotion.topology().quorum();
      promotions.add(new Promotion(self, promotion.topology().epoch(), timeline));
      world.recordPromotion(self, promotion.topology().epoch());
    }
  }

  @Override
  public void startPrimary(PrimaryTopology topology) throws DatabaseException {
    synchronized (world) {
      awaitUnhung();
      failIfAsked();
      if (state == DatabaseState.RUNNING_PRIMARY) {
        return;
      }
      if (state != DatabaseState.STOPPED || writeLsn == 0) {
        throw new DatabaseException(DatabaseException.Kind.TRANSIENT, self + " cannot start as primary: it is " + state);
      }
      requireLease(topology.epoch(), "starting as primary");
      state = DatabaseState.RUNNING_PRIMARY;
      synchronous = topology.synchronousStandbys();
      quorum = topology.quorum();
    }
  }

  /** As the PostgreSQL adapter does: ask the agent right before the database becomes writable. */
  private void requireLease(io.ratisfailover.Epoch epoch, String step) throws DatabaseException {
    if (!events.mayBecomeWritable(epoch)) {
      throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "the primary lease for epoch " + epoch
          + " is no longer held: not " + step);
    }
  }

  @Override
  public void configurePrimary(PrimaryTopology topology) throws DatabaseException {
    synchronized (world) {
      awaitUnhung();
      failIfAsked();
      if (state != DatabaseState.RUNNING_PRIMARY) {
        throw new DatabaseException(DatabaseException.Kind.TRANSIENT, self + " is not a running primary");
      }
      synchronous = topology.synchronousStandbys();
      quorum = topology.quorum();
    }
  }

  @Override
  public void fence(FenceMode mode) {
    synchronized (world) {
      if (state.isRunning()) {
        if (state == DatabaseState.RUNNING_REPLICA) {
          writeLsn = 0;
        }
        state = DatabaseState.STOPPED;
      }
    }
  }

  /** The cluster's PostgreSQL settings as last applied to this database. */
  public io.ratisfailover.ServerParameters clusterParameters() {
    return clusterParameters;
  }

  @Override
  public void applyClusterParameters(io.ratisfailover.ServerParameters parameters) {
    clusterParameters = parameters;
  }

  @Override
  public void restart() throws DatabaseException {
    synchronized (world) {
      awaitUnhung();
      if (!state.isRunning()) {
        throw new DatabaseException(DatabaseException.Kind.TRANSIENT, self + " is not running");
      }
    }
  }

  @Override
  public void reinitialize(Upstream target) throws DatabaseException {
    synchronized (world) {
      state = DatabaseState.ABSENT;
      writeLsn = 0;
      receivedLsn = 0;
    }
    startReplica(Optional.of(target));
  }

  // --- internals ------------------------------------------------------------------------------------

  long position() {
    return state == DatabaseState.RUNNING_PRIMARY ? writeLsn : Math.max(writeLsn, receivedLsn);
  }

  boolean following(MemberId member) {
    return state == DatabaseState.RUNNING_REPLICA && upstream.filter(member::equals).isPresent();
  }

  ReplicaInfo replicaInfo(Set<MemberId> synchronousOfUpstream, boolean quorumOfUpstream) {
    ReplicaInfo.SyncState sync = !synchronousOfUpstream.contains(self) ? ReplicaInfo.SyncState.ASYNC
        : quorumOfUpstream ? ReplicaInfo.SyncState.QUORUM : ReplicaInfo.SyncState.SYNC;
    return new ReplicaInfo(self, true, sync, Lsn.of(receivedLsn), Lsn.of(receivedLsn));
  }

  Set<MemberId> synchronousStandbys() {
    return synchronous;
  }

  boolean quorumCommit() {
    return quorum > 0;
  }

  /** A standby that can reach its running upstream on the same timeline receives all its WAL at once. */
  private void catchUp() {
    if (state != DatabaseState.RUNNING_REPLICA || upstream.isEmpty()) {
      return;
    }
    InMemoryDatabase source = world.database(upstream.get());
    if (source.state.isRunning() && world.reachable(source.self, self) && source.timeline >= timeline) {
      if (source.timeline != timeline) {
        history = new ArrayList<>(source.history);
      }
      timeline = source.timeline;
      receivedLsn = Math.max(receivedLsn, source.position());
    }
  }

  private void awaitUnhung() {
    while (hung) {
      try {
        world.wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void failIfAsked() throws DatabaseException {
    if (failNext != null) {
      String message = failNext;
      failNext = null;
      throw new DatabaseException(DatabaseException.Kind.TRANSIENT, message);
    }
  }
}

package io.ratisfailover.testing;

import io.ratisfailover.Epoch;
import io.ratisfailover.MemberId;
import io.ratisfailover.spi.ReplicaInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;
import java.util.function.Predicate;

/**
 * The in-memory databases of one cluster, which can see each other: standbys read their upstream's
 * WAL position directly, as far as {@code reachable} allows. Also the witness to every promotion,
 * so tests can check that no epoch is promoted twice.
 */
public final class InMemoryDatabases {
  private final Map<MemberId, InMemoryDatabase> databases = new LinkedHashMap<>();
  private final List<InMemoryDatabase.Promotion> promotions = new ArrayList<>();
  private BiPredicate<MemberId, MemberId> reachable = (from, to) -> true;
  private Predicate<MemberId> frozen = member -> false;
  /** The highest acknowledged commit on each timeline, and who acknowledged it. */
  private final Map<Long, Acknowledged> acknowledged = new LinkedHashMap<>();
  private long lastTimeline;

  /** A commit a client was told is durable. */
  public record Acknowledged(MemberId primary, long timeline, long lsn) {}

  public synchronized InMemoryDatabase create(MemberId member) {
    InMemoryDatabase db = new InMemoryDatabase(member, this);
    databases.put(member, db);
    return db;
  }

  public synchronized InMemoryDatabase database(MemberId member) {
    InMemoryDatabase db = databases.get(member);
    if (db == null) {
      throw new IllegalArgumentException("no in-memory database for " + member);
    }
    return db;
  }

  /** Which database can stream WAL to which; everything can by default. */
  public synchronized void reachability(BiPredicate<MemberId, MemberId> canReach) {
    this.reachable = canReach;
  }

  /**
   * Which databases are frozen without the {@link InMemoryDatabase#hang()} flag (the simulation
   * models a hang on its own clock and cannot block): they accept no write meanwhile.
   */
  public synchronized void frozenWhile(Predicate<MemberId> isFrozen) {
    this.frozen = isFrozen;
  }

  public synchronized List<InMemoryDatabase.Promotion> promotions() {
    return List.copyOf(promotions);
  }

  /** Members whose databases accept writes right now. */
  public synchronized List<MemberId> writable() {
    return databases.values().stream().filter(InMemoryDatabase::isWritable).map(InMemoryDatabase::member).toList();
  }

  synchronized boolean reachable(MemberId from, MemberId to) {
    return reachable.test(from, to);
  }

  /**
   * The acknowledged commits {@code member}'s database does not hold: none may be missing on a new
   * primary in synchronous mode (S4).
   */
  public synchronized List<Acknowledged> missingOn(MemberId member) {
    InMemoryDatabase db = database(member);
    return acknowledged.values().stream().filter(a -> !db.holds(a.timeline(), a.lsn())).toList();
  }

  synchronized void acknowledge(MemberId primary, long timeline, long lsn) {
    acknowledged.merge(timeline, new Acknowledged(primary, timeline, lsn), (a, b) -> a.lsn() >= b.lsn() ? a : b);
  }

  /** Timelines are numbered across the cluster, so that two promotions never share one. */
  synchronized long nextTimeline() {
    return ++lastTimeline;
  }

  synchronized boolean frozen(MemberId member) {
    return frozen.test(member);
  }

  synchronized void recordPromotion(MemberId member, Epoch epoch) {
    promotions.add(new InMemoryDatabase.Promotion(member, epoch, 0));
  }

  String systemIdentifier() {
    return "7000000000000000001";
  }

  synchronized List<ReplicaInfo> replicasOf(MemberId primary) {
    InMemoryDatabase p = databases.get(primary);
    List<ReplicaInfo> replicas = new ArrayList<>();
    for (InMemoryDatabase db : databases.values()) {
      if (db != p && db.following(primary) && reachable(primary, db.member())) {
        replicas.add(db.replicaInfo(p.synchronousStandbys(), p.quorumCommit()));
      }
    }
    return replicas;
  }
}

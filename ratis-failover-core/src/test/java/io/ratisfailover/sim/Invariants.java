package io.ratisfailover.sim;

import io.ratisfailover.Epoch;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.control.LocalSnapshot;
import io.ratisfailover.testing.InMemoryDatabase;
import io.ratisfailover.testing.InMemoryDatabases;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The safety invariants of docs/design.md §4, checked after every event of a simulation, and liveness
 * after the faults heal.
 *
 * <ul>
 *   <li>S1: no two members believe at once that they hold a valid primary lease (each by its own clock);
 *       stronger, as the safety argument guarantees: once an election for a newer epoch has committed,
 *       no member holds a valid lease for an older one — whatever it has applied so far;
 *   <li>S2: no two live members would answer 200 on {@code /primary} at once;
 *   <li>H1: a serving primary's bound on its predecessor's silence, from which {@code primary_hold_off}
 *       counts, holds: no other member answered 200 within that time (its answers end at the first
 *       event it no longer would, a crash or a pause included);
 *   <li>S3: every promotion uses a new epoch, epochs of promotions only grow, and no member's applied
 *       epoch ever goes back;
 *   <li>S4 (synchronous mode): every acknowledged commit is on every later primary: a newly promoted
 *       database holds every commit acknowledged so far, and the newest primary, while it runs,
 *       holds every commit acknowledged anywhere since;
 *   <li>W1: at most one database accepts writes (a hung one accepts none). The one exception: a
 *       database whose agent is dead or paused (or resumed too recently to have acted), and with a
 *       watchdog only while that watchdog still counts down — when it runs out it fences the
 *       database. Without a watchdog nothing bounds that exception;
 *   <li>L1: once every fault has healed, a primary serves within ttl + election + promotion time.
 * </ul>
 *
 * Lease validity only ever begins at an event (a renewal's reply), so checking at every event sees
 * every overlap.
 */
public final class Invariants {
  /** Counts that properties other than safety look at. */
  /**
   * @param failovers how often the epoch moved on after the cluster had formed
   * @param firstServingAfterHealMillis how long after the faults healed a primary served again; -1 if never
   * @param raftLeaderChanges how often the Raft leader (the arbiter) changed
   */
  /**
   * @param longestWithoutPrimaryMillis the longest time after the warm-up with no member serving as
   *     primary, faults included (a cluster that wedges while a fault lasts shows here, not in L1)
   */
  public record Stats(long failovers, long firstServingAfterHealMillis, int raftLeaderChanges,
      long longestWithoutPrimaryMillis) {}

  private final Simulation sim;
  private final List<SimNode> nodes;
  private final InMemoryDatabases databases;
  private final Timing timing;
  private final boolean synchronous;
  private final boolean watchdog;
  private final long agentGrace;
  private final List<String> violations = new ArrayList<>();
  private final Map<SimNode, Epoch> lastEpoch = new HashMap<>();
  private int promotionsSeen;
  private Epoch highestPromoted = Epoch.ZERO;
  private long healedAt = Long.MAX_VALUE;
  private long firstServingAfterHeal = -1;
  private Epoch warmEpoch;
  private long lastServingAt = -1;
  private final Set<SimNode> servingBefore = new HashSet<>();
  /** When each member that answered 200 last stopped: the first event at which it no longer would. */
  private final Map<SimNode, Long> stoppedServingAt = new HashMap<>();
  private long longestWithoutPrimary;
  private int leaderChanges;
  private Optional<SimNode> lastLeader = Optional.empty();

  /**
   * @param watchdog whether the hosts have watchdogs, which bound how long a dead or frozen agent's
   *     database may stay writable
   * @param agentGrace how long a resumed or restarted agent may take to fence its database
   */
  Invariants(Simulation sim, List<SimNode> nodes, InMemoryDatabases databases, Timing timing, boolean synchronous,
      boolean watchdog, long agentGrace) {
    this.sim = sim;
    this.nodes = nodes;
    this.databases = databases;
    this.timing = timing;
    this.synchronous = synchronous;
    this.watchdog = watchdog;
    this.agentGrace = agentGrace;
  }

  /** The L1 bound: lease wait, two election timeouts, a renewal round and promotion, with slack for database calls. */
  long livenessBound() {
    return timing.ttl().toNanos() + 2 * timing.electionTimeoutMax().toNanos() + 3 * timing.loopWait().toNanos()
        + 2 * timing.rpcTimeout().toNanos() + Simulation.ms(1_000);
  }

  void healedAt(long at) {
    healedAt = at;
  }

  void check() {
    long now = sim.now();
    Epoch committed = sim.committedEpoch();
    List<String> leaseHolders = new ArrayList<>();
    List<String> serving = new ArrayList<>();
    for (SimNode n : nodes) {
      Optional<LocalSnapshot> s = sim.snapshot(n);
      if (s.isEmpty()) {
        continue;
      }
      long local = n.ticks(now);
      if (s.get().leaseRemainingNanos(local) > 0) {
        leaseHolders.add(n.peer.id() + "(epoch " + s.get().lease().epoch() + ", "
            + s.get().leaseRemainingNanos(local) / 1_000_000 + " ms left)");
        if (s.get().lease().epoch().compareTo(committed) < 0) {
          violation("S1", n.peer.id() + " holds a lease for epoch " + s.get().lease().epoch() + " ("
              + s.get().leaseRemainingNanos(local) / 1_000_000 + " ms left) although epoch " + committed + " was elected");
        }
      }
      if (!n.paused() && s.get().servingPrimary(local)) {
        serving.add(n.peer.id().value());
      }
      Epoch applied = s.get().state().epoch();
      Epoch before = lastEpoch.put(n, applied);
      if (before != null && applied.compareTo(before) < 0) {
        violation("S3", n.peer.id() + " applied epoch " + applied + " after epoch " + before);
      }
    }
    if (leaseHolders.size() > 1) {
      violation("S1", "two members hold a primary lease: " + leaseHolders);
    }
    if (serving.size() > 1) {
      violation("S2", "two members would answer 200 on /primary: " + serving);
    }
    checkHoldOffBound(now);
    if (!serving.isEmpty() && now >= healedAt && firstServingAfterHeal < 0) {
      firstServingAfterHeal = now;
    }
    if (warmEpoch != null) {
      longestWithoutPrimary = Math.max(longestWithoutPrimary, now - lastServingAt);
      if (!serving.isEmpty()) {
        lastServingAt = now;
      }
    }
    checkPromotions();
    checkOneWritable();
    countLeaders();
  }

  private void checkHoldOffBound(long now) {
    Set<SimNode> servingNow = new HashSet<>();
    for (SimNode n : nodes) {
      Optional<LocalSnapshot> s = sim.snapshot(n);
      if (s.isPresent() && !n.paused() && s.get().servingPrimary(n.ticks(now))) {
        servingNow.add(n);
      }
    }
    for (SimNode n : servingBefore) {
      if (!servingNow.contains(n)) {
        stoppedServingAt.put(n, now);
      }
    }
    servingBefore.clear();
    servingBefore.addAll(servingNow);
    for (SimNode n : servingNow) {
      long silent = sim.snapshot(n).orElseThrow().predecessorSilent(n.ticks(now), timing.maxClockDrift()).toNanos();
      for (Map.Entry<SimNode, Long> other : stoppedServingAt.entrySet()) {
        if (other.getKey() != n && other.getValue() > now - silent) {
          violation("H1", n.peer.id() + " counts its predecessor silent for " + silent / 1_000_000 + " ms, but "
              + other.getKey().peer.id() + " answered 200 until " + (now - other.getValue()) / 1_000_000 + " ms ago");
        }
      }
    }
  }

  private void checkOneWritable() {
    List<SimNode> writable = new ArrayList<>();
    int unexcused = 0;
    for (SimNode n : nodes) {
      if (n.database != null && n.database.isWritable()) {
        writable.add(n);
        if (excuse(n).isEmpty()) {
          unexcused++;
        }
      }
    }
    if (unexcused > 1) {
      List<String> who = writable.stream().map(n -> n.peer.id() + excuse(n).map(e -> " (" + e + ")")
          .orElse(" (agent " + agentView(n) + ")")).toList();
      violation("W1", "two databases accept writes: " + who);
    }
  }

  /** Why a writable database next to another one is allowed, if it is. */
  private Optional<String> excuse(SimNode n) {
    if (!n.agentDormant(agentGrace)) {
      return Optional.empty();
    }
    String agent = !n.up ? "agent dead" : n.paused() ? "agent paused" : "agent just resumed";
    if (!watchdog) {
      return Optional.of(agent + ", no watchdog");
    }
    if (n.watchdog.armed()) {
      return Optional.of(agent + ", watchdog fires in " + (n.watchdog.deadline() - sim.now()) / 1_000_000 + " ms");
    }
    return Optional.empty();
  }

  private String agentView(SimNode n) {
    return sim.snapshot(n).map(s -> s.role() + " in epoch " + s.state().epoch() + ", "
        + (s.leaseRemainingNanos(n.ticks()) > 0 ? "lease valid" : "no valid lease")).orElse("down");
  }

  private void checkPromotions() {
    List<InMemoryDatabase.Promotion> promotions = databases.promotions();
    for (int i = promotionsSeen; i < promotions.size(); i++) {
      InMemoryDatabase.Promotion p = promotions.get(i);
      for (int j = 0; j < i; j++) {
        if (promotions.get(j).epoch().equals(p.epoch())) {
          violation("S3", p.member() + " promoted for epoch " + p.epoch() + ", already promoted by "
              + promotions.get(j).member());
        }
      }
      if (p.epoch().compareTo(highestPromoted) < 0) {
        violation("S3", p.member() + " promoted for epoch " + p.epoch() + " after epoch " + highestPromoted);
      }
      highestPromoted = p.epoch().compareTo(highestPromoted) > 0 ? p.epoch() : highestPromoted;
    }
    promotionsSeen = promotions.size();
    if (synchronous && !promotions.isEmpty()) {
      InMemoryDatabase.Promotion newest = promotions.get(promotions.size() - 1);
      if (databases.database(newest.member()).state() == io.ratisfailover.spi.DatabaseState.RUNNING_PRIMARY) {
        List<InMemoryDatabases.Acknowledged> missing = databases.missingOn(newest.member());
        if (!missing.isEmpty()) {
          violation("S4", newest.member() + ", primary of epoch " + newest.epoch() + ", lacks acknowledged commits "
              + missing);
        }
      }
    }
  }

  private void countLeaders() {
    Optional<SimNode> leader = sim.raftLeader();
    if (!leader.equals(lastLeader)) {
      if (leader.isPresent()) {
        leaderChanges++;
      }
      lastLeader = leader;
    }
  }

  /** From now on, count promotions as failovers: the cluster has formed. */
  void warmedUp() {
    warmEpoch = sim.committedEpoch();
    lastServingAt = sim.now();
  }

  void checkLiveness() {
    if (!violations.isEmpty()) {
      return;
    }
    long bound = livenessBound();
    if (firstServingAfterHeal < 0 || firstServingAfterHeal - healedAt > bound) {
      violation("L1", "no primary served within " + bound / 1_000_000 + " ms after the faults healed at "
          + healedAt / 1_000_000 + " ms" + (firstServingAfterHeal < 0 ? "" : " (first at " + firstServingAfterHeal / 1_000_000 + " ms)"));
    }
  }

  void forget(SimNode n) {
    lastEpoch.remove(n);
  }

  void violation(String invariant, String what) {
    violations.add(String.format("%s at %.3f s: %s", invariant, sim.now() / 1e9, what));
  }

  List<String> violations() {
    return List.copyOf(violations);
  }

  Stats stats() {
    long failovers = warmEpoch == null ? 0 : sim.committedEpoch().value() - warmEpoch.value();
    long gap = warmEpoch == null ? 0 : Math.max(longestWithoutPrimary, sim.now() - lastServingAt);
    return new Stats(failovers, firstServingAfterHeal < 0 ? -1 : (firstServingAfterHeal - healedAt) / 1_000_000, leaderChanges,
        gap / 1_000_000);
  }
}

package io.ratisfailover.sim;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.Epoch;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.RoleChange;
import io.ratisfailover.SwitchoverRequest;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.internal.control.LocalSnapshot;
import io.ratisfailover.internal.control.MemberRuntime;
import io.ratisfailover.internal.control.RuntimeConfig;
import io.ratisfailover.internal.control.Submitter;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.spi.Fencer;
import io.ratisfailover.spi.Watchdog;
import io.ratisfailover.testing.InMemoryDatabase;
import io.ratisfailover.testing.InMemoryDatabases;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * A deterministic, single-threaded run of a whole cluster: the real state machine, agents,
 * arbiters and member runtimes, on simulated clocks, network, Raft and databases, through one
 * fault schedule. The same schedule always produces the same run. After every event it checks the
 * safety invariants; at the end, liveness after the faults healed.
 */
public final class Simulation {
  /** An event: at real time {@code at}, in the context of {@code node} (null for the world itself). */
  private record Event(long at, long seq, SimNode node, int incarnation, Runnable action) {}

  private final SimConfig config;
  private final Schedule schedule;
  private final SplittableRandom random;
  private final PriorityQueue<Event> queue = new PriorityQueue<>((a, b) ->
      a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.seq, b.seq));
  private final List<SimNode> nodes = new ArrayList<>();
  private final SimNetwork net;
  private final SimRaft raft;
  private final InMemoryDatabases databases = new InMemoryDatabases();
  private final Invariants invariants;
  private final Deque<String> trace = new ArrayDeque<>();
  private long now;
  private long seq;
  private SimNode current;
  private static final int MAX_NESTING = 3;
  private int nesting;

  public Simulation(SimConfig config, Schedule schedule) {
    if (schedule.clockRates().size() != config.size()) {
      throw new IllegalArgumentException("schedule has " + schedule.clockRates().size() + " clock rates for "
          + config.size() + " members");
    }
    this.config = config;
    this.schedule = schedule;
    this.random = new SplittableRandom(schedule.seed());
    this.net = new SimNetwork(config.size(), random.split(), config.lateReplyProbability());
    for (int i = 0; i < config.size(); i++) {
      Peer peer = config.members().get(i);
      InMemoryDatabase db = peer.kind() == MemberKind.DATA ? databases.create(peer.id()) : null;
      long tickOffset = random.nextLong();
      long wallOffset = config.maxWallSkewMillis() == 0 ? 0 : random.nextLong(-config.maxWallSkewMillis(), config.maxWallSkewMillis() + 1);
      nodes.add(new SimNode(this, i, peer, schedule.clockRates().get(i), tickOffset, wallOffset, db));
    }
    databases.reachability((from, to) -> {
      SimNode a = node(from);
      SimNode b = node(to);
      return a.hostUp && b.hostUp && net.connected(a.index, b.index);
    });
    databases.frozenWhile(member -> node(member).databaseHung());
    this.raft = new SimRaft(this, nodes, config.transition(), net, random.split(),
        config.timing().electionTimeoutMin().toNanos(), config.timing().electionTimeoutMax().toNanos());
    this.invariants = new Invariants(this, nodes, databases, config.timing(), schedule.synchronous(), schedule.watchdog(),
        3 * ms(config.maxDatabaseLatencyMillis()) + ms(20));
  }

  /** Runs the schedule to the end and reports what went wrong, if anything. */
  public Outcome run() {
    for (SimNode n : nodes) {
      n.incarnation++;
      boot(n);
    }
    raft.start();
    for (Fault f : schedule.faults()) {
      at(ms(f.atMillis()), null, () -> apply(f));
    }
    long healed = ms(schedule.healedAtMillis(config.warmupMillis()));
    long end = healed + invariants.livenessBound() + ms(3_000);
    invariants.healedAt(healed);
    at(ms(config.warmupMillis()), null, invariants::warmedUp);
    scheduleWriter();
    while (step(end)) {
      // every event is checked in step
    }
    now = Math.max(now, end);
    invariants.checkLiveness();
    return new Outcome(schedule, invariants.violations(), invariants.stats(), List.copyOf(trace));
  }

  // --- engine -----------------------------------------------------------------------------------

  /**
   * Runs the next event, then checks the invariants; returns false, running nothing, when there is
   * no event up to {@code until} or an invariant is already broken.
   */
  private boolean step(long until) {
    Event e = queue.peek();
    if (e == null || e.at > until || !invariants.violations().isEmpty()) {
      return false;
    }
    queue.poll();
    now = e.at;
    if (e.node != null) {
      if (!e.node.up || e.node.incarnation != e.incarnation) {
        return true;
      }
      if (e.node.paused()) {
        queue.add(new Event(e.node.pausedUntil, seq++, e.node, e.incarnation, e.action));
        return true;
      }
    }
    SimNode outer = current;
    current = e.node;
    try {
      e.action.run();
    } catch (RuntimeException | AssertionError ex) {
      invariants.violation("BUG", (e.node == null ? "the world" : e.node.peer.id().value()) + " threw " + ex);
    } finally {
      current = outer;
    }
    invariants.check();
    return true;
  }

  /**
   * The database thread of {@code node}, inside one blocking call, spends {@code duration} there
   * while the rest of the world goes on, this node's own loop and fence lane included; a pause of
   * the node freezes the thread too, so the call ends no earlier than the pause. Returns false if
   * the agent's process died meanwhile (the call never finished). Calls nest (a database call of
   * another member may block inside); beyond a few levels a call takes no time.
   */
  boolean block(SimNode node, long duration) {
    if (nesting >= MAX_NESTING || duration <= 0) {
      return true;
    }
    int incarnation = node.incarnation;
    long until = now + duration;
    nesting++;
    try {
      while (node.up && node.incarnation == incarnation && invariants.violations().isEmpty()) {
        long target = Math.max(until, node.pausedUntil);
        if (now >= target) {
          break;
        }
        if (!step(target)) {
          now = target;
        }
      }
    } finally {
      nesting--;
    }
    return node.up && node.incarnation == incarnation;
  }

  /** How long a call that makes a database writable (promote, start, bootstrap) takes inside the database. */
  long writableAfter() {
    return random.nextDouble() < 0.25 ? ms(1) + random.nextLong(ms(2_500)) : 0;
  }

  long now() {
    return now;
  }

  SimNode current() {
    return current;
  }

  void at(long time, SimNode node, Runnable action) {
    queue.add(new Event(Math.max(time, now), seq++, node, node == null ? 0 : node.incarnation, action));
  }

  /** A message from {@code from} to {@code to}: delivered after the link's latency, unless cut or lost. */
  void send(SimNode from, SimNode to, Runnable onArrival) {
    send(from, to, 0, onArrival);
  }

  /** A message that takes {@code extra} longer than the link's latency. */
  void send(SimNode from, SimNode to, long extra, Runnable onArrival) {
    if (!from.up || !to.up || !net.up(from.index, to.index) || net.lost()) {
      return;
    }
    at(now + net.latency(from.index, to.index) + extra, to, onArrival);
  }

  /**
   * Like {@link #send(SimNode, SimNode, Runnable)}, but arriving no earlier than {@code notBefore}:
   * one stream, in order. Returns the arrival time, or -1 when the message is lost.
   */
  long sendInOrder(SimNode from, SimNode to, long notBefore, Runnable onArrival) {
    if (!from.up || !to.up || !net.up(from.index, to.index) || net.lost()) {
      return -1;
    }
    long arrival = Math.max(now + net.latency(from.index, to.index), notBefore);
    at(arrival, to, onArrival);
    return arrival;
  }

  long databaseLatency() {
    return ms(1) + random.nextLong(ms(config.maxDatabaseLatencyMillis()));
  }

  void trace(String line) {
    trace.add(String.format("%9.3f %s", now / 1e9, line));
    if (trace.size() > 400) {
      trace.poll();
    }
  }

  private SimNode node(MemberId id) {
    for (SimNode n : nodes) {
      if (n.peer.id().equals(id)) {
        return n;
      }
    }
    throw new IllegalArgumentException("no member " + id);
  }

  static long ms(long millis) {
    return millis * 1_000_000L;
  }

  // --- members ----------------------------------------------------------------------------------

  private void boot(SimNode n) {
    // A synchronous schedule runs in the configuration's synchronous mode (quorum commit, say), or on.
    SynchronousMode mode = !schedule.synchronous() ? SynchronousMode.OFF
        : config.settings().synchronousMode() == SynchronousMode.OFF ? SynchronousMode.ON : config.settings().synchronousMode();
    ClusterSettings settings = config.settings().withSynchronousMode(mode);
    RuntimeConfig rc = new RuntimeConfig(n.peer.id(), n.peer.kind(), "sim", config.members(), settings,
        config.timing(), io.ratisfailover.Tags.DEFAULT, "", Optional.empty(), config.switchoverDrain());
    random.nextLong(); // once the incarnation: drawn still, so that recorded seeds replay the same schedules
    // Incarnations grow from one boot of a member to the next, as FailoverMember's do.
    Submitter submitter = new Submitter(n.peer.id(), n.incarnation, n.clock(), raft.port(n));
    n.submitter = submitter;
    n.runtime = new MemberRuntime(rc, n.loop(), n.ticker(), n.clock(), submitter, raft.port(n),
        n.database == null ? null : new SimDatabase(this, n),
        n.operationLane, n.fenceLane, Fencer.NONE, schedule.watchdog() ? n.watchdog : Watchdog.NONE, config.renewalClock(), config.agentPolicy(),
        change -> traceRole(n, change));
    MemberRuntime runtime = n.runtime;
    ClusterState state = n.state;
    long index = n.appliedIndex;
    at(now, n, () -> {
      if (index > 0) {
        runtime.stateLoaded(state, index);
      }
      runtime.start();
      runtime.consensusStarted();
    });
  }

  /** The agent's process dies (kill -9): agent, Raft server and database calls in flight; the database is not touched. */
  private void stopAgent(SimNode n) {
    n.up = false;
    n.runtime = null;
    n.operationLane.clear();
    n.fenceLane.clear();
    raft.crashed(n);
    invariants.forget(n);
  }

  /** The agent's process starts again on its Raft storage. */
  private void restartAgent(SimNode n) {
    n.up = true;
    n.pausedUntil = Long.MIN_VALUE;
    n.startedAt = now;
    n.incarnation++;
    trace("restart: " + n.peer.id());
    raft.restarted(n);
    boot(n);
  }

  private void traceRole(SimNode n, RoleChange change) {
    trace(n.peer.id() + ": " + change.from() + " -> " + change.to() + " (epoch " + change.epoch() + ": " + change.reason() + ")");
  }

  // --- faults -----------------------------------------------------------------------------------

  private void apply(Fault f) {
    trace("fault: " + f);
    if (f instanceof Fault.Crash c) {
      SimNode n = nodes.get(c.node());
      if (!n.up) {
        return;
      }
      stopAgent(n);
      n.hostUp = false;
      n.watchdog.reset();
      if (n.database != null) {
        n.database.crash();
      }
      at(ms(c.endMillis()), null, () -> {
        n.hostUp = true;
        restartAgent(n);
      });
    } else if (f instanceof Fault.AgentCrash c) {
      SimNode n = nodes.get(c.node());
      if (!n.up) {
        return;
      }
      stopAgent(n);
      at(ms(c.atMillis() + c.forMillis()), null, () -> {
        if (c.isolatedMillis() > 0) {
          java.util.Set<Integer> alone = java.util.Set.of(n.index);
          net.partition(alone, 1);
          at(ms(c.endMillis()), null, () -> net.partition(alone, -1));
        }
        restartAgent(n);
      });
    } else if (f instanceof Fault.StorageLoss w) {
      SimNode n = nodes.get(w.node());
      if (!n.up) {
        return;
      }
      stopAgent(n);
      n.logIndex = 0; // the log and snapshots are gone: the restart replays nothing
      at(ms(w.endMillis()), null, () -> {
        n.rejoining = true;
        restartAgent(n);
      });
    } else if (f instanceof Fault.SlowLink s) {
      net.slow(s.from(), s.to(), ms(s.extraMillis()));
      at(ms(s.endMillis()), null, () -> net.slow(s.from(), s.to(), -ms(s.extraMillis())));
    } else if (f instanceof Fault.SlowInbound s) {
      for (SimNode from : nodes) {
        if (from.index != s.node()) {
          net.slow(from.index, s.node(), ms(s.extraMillis()));
          at(ms(s.endMillis()), null, () -> net.slow(from.index, s.node(), -ms(s.extraMillis())));
        }
      }
    } else if (f instanceof Fault.SlowReplies s) {
      net.slowReplies(ms(s.extraMillis()));
      at(ms(s.endMillis()), null, () -> net.slowReplies(-ms(s.extraMillis())));
    } else if (f instanceof Fault.AppendsBlocked b) {
      net.blockAppends(b.node(), 1);
      at(ms(b.endMillis()), null, () -> net.blockAppends(b.node(), -1));
    } else if (f instanceof Fault.Deaf d) {
      net.deafen(d.node(), 1);
      at(ms(d.endMillis()), null, () -> net.deafen(d.node(), -1));
    } else if (f instanceof Fault.SnapshotInstall s) {
      raft.installSnapshot(nodes.get(s.node()));
    } else if (f instanceof Fault.DatabaseCrash c) {
      SimNode n = nodes.get(c.node());
      if (n.database != null && n.up) {
        n.database.crash();
      }
    } else if (f instanceof Fault.DatabaseHang h) {
      SimNode n = nodes.get(h.node());
      n.hungUntil = Math.max(n.hungUntil, ms(h.endMillis()));
    } else if (f instanceof Fault.Pause p) {
      SimNode n = nodes.get(p.node());
      n.pausedUntil = Math.max(n.pausedUntil, ms(p.endMillis()));
    } else if (f instanceof Fault.Partition p) {
      net.partition(p.side(), 1);
      at(ms(p.endMillis()), null, () -> net.partition(p.side(), -1));
    } else if (f instanceof Fault.Flap flap) {
      flapping(flap, true);
    } else if (f instanceof Fault.OneWay o) {
      net.cut(o.from(), o.to(), 1);
      at(ms(o.endMillis()), null, () -> net.cut(o.from(), o.to(), -1));
    } else if (f instanceof Fault.Delay d) {
      net.delay(ms(d.extraMillis()), ms(d.jitterMillis()));
      at(ms(d.endMillis()), null, () -> net.delay(0, 0));
    } else if (f instanceof Fault.Loss l) {
      net.loss(l.probability());
      at(ms(l.endMillis()), null, () -> net.loss(0));
    } else if (f instanceof Fault.Duplicate d) {
      net.duplicate(d.probability());
      at(ms(d.endMillis()), null, () -> net.duplicate(0));
    } else if (f instanceof Fault.LeaderChange) {
      raft.changeLeader();
    } else if (f instanceof Fault.Switchover s) {
      SimNode via = nodes.get(s.via());
      if (via.alive() && via.runtime != null) {
        ClusterState state = via.runtime.snapshot().state();
        random.nextLong(); // once a second submitter's incarnation: drawn still, so that recorded seeds replay
        Submitter admin = via.submitter; // the member's own, as FailoverMember's admin calls use
        at(now, via, () -> admin.submit(new Command.RequestSwitchover(state.primary(), Optional.empty(),
            state.epoch(), SwitchoverRequest.now().scheduledAt())));
      }
    }
  }

  /** One phase of a flapping link: down phases cut and later heal their own cut; the phases alternate until the fault ends. */
  private void flapping(Fault.Flap flap, boolean down) {
    java.util.Set<Integer> side = java.util.Set.of(flap.node());
    long end = ms(flap.endMillis());
    if (down) {
      net.partition(side, 1);
    }
    long next = Math.min(end, now + ms(1 + random.nextInt(flap.periodMillis())));
    at(next, null, () -> {
      if (down) {
        net.partition(side, -1);
      }
      if (now < end) {
        flapping(flap, !down);
      }
    });
  }

  /** A client writing to whichever database accepts writes, so that standbys have WAL to receive. */
  private void scheduleWriter() {
    at(now + ms(50), null, () -> {
      for (MemberId m : databases.writable()) {
        databases.database(m).write(256);
      }
      scheduleWriter();
    });
  }

  // --- for the invariants -----------------------------------------------------------------------

  Optional<LocalSnapshot> snapshot(SimNode n) {
    return n.up && n.runtime != null ? Optional.ofNullable(n.runtime.snapshot()) : Optional.empty();
  }

  Optional<SimNode> raftLeader() {
    return raft.leader();
  }

  Epoch committedEpoch() {
    return nodes.stream().map(n -> n.state.epoch()).max(Epoch::compareTo).orElse(Epoch.ZERO);
  }

  /** What one run produced. */
  public record Outcome(Schedule schedule, List<String> violations, Invariants.Stats stats, List<String> trace) {
    public boolean ok() {
      return violations.isEmpty();
    }

    /** A report for a failure: the schedule to replay, what broke, and the last events. */
    public String report() {
      return "schedule: " + schedule + "\nviolations:\n  " + String.join("\n  ", violations) + "\nstats: " + stats
          + "\nlast events:\n  " + String.join("\n  ", trace);
    }
  }
}

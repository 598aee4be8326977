package io.ratisfailover.sim;

import io.ratisfailover.MemberId;
import io.ratisfailover.RaftLeaderPreference;
import io.ratisfailover.internal.control.Consensus;
import io.ratisfailover.internal.state.Applied;
import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Codec;
import io.ratisfailover.internal.state.Request;
import io.ratisfailover.internal.state.Transition;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * An abstract Raft: what Raft guarantees and what it lets happen, without its mechanics. There is
 * one committed log; an entry commits only while a leader reaches a majority; a leader that loses
 * its majority steps down after the maximum election timeout, and until then it still believes it
 * leads; an election needs a majority of live, connected voters that heard from no leader lately
 * (pre-vote) and whose logs are not newer, honouring priorities; entries a deposed leader had not
 * committed are dropped or committed later by its successor; members apply the log in order, each
 * when the leader's word reaches it; replies can be lost, commands delivered twice. A member whose
 * storage was wiped comes back empty and outside the voters until it has caught up, as the product's
 * rejoin does (the one thing real Raft cannot survive, a wiped voter, is refused at start).
 */
final class SimRaft {
  /** An appended, uncommitted entry and who waits for its result. */
  private record Pending(byte[] entry, CompletableFuture<ApplyResult> reply, SimNode from, int fromIncarnation) {}

  /** The members' default: the simulation checks what ships. */
  private static final RaftLeaderPreference PREFERENCE = RaftLeaderPreference.STANDBY;

  private final Simulation sim;
  private final List<SimNode> nodes;
  private final Transition transition;
  private final SimNetwork net;
  private final SplittableRandom random;
  private final long electionMin;
  private final long electionMax;
  private final long heartbeat;
  private final List<byte[]> log = new ArrayList<>();
  /** When each member's latest request reaches the leader: the next one may not arrive earlier. */
  private final java.util.Map<SimNode, Long> lastClientArrival = new java.util.HashMap<>();
  private List<Pending> pending = new ArrayList<>();
  private SimNode leader;
  private long term;
  private boolean commitScheduled;

  SimRaft(Simulation sim, List<SimNode> nodes, Transition transition, SimNetwork net, SplittableRandom random,
      long electionMinNanos, long electionMaxNanos) {
    this.sim = sim;
    this.nodes = nodes;
    this.transition = transition;
    this.net = net;
    this.random = random;
    this.electionMin = electionMinNanos;
    this.electionMax = electionMaxNanos;
    this.heartbeat = electionMinNanos / 2;
  }

  void start() {
    for (SimNode n : nodes) {
      n.priority = PREFERENCE.priority(n.peer.kind(), false);
      armElectionTimer(n);
    }
    sim.at(sim.now() + heartbeat, null, this::heartbeatTick);
  }

  Optional<SimNode> leader() {
    return Optional.ofNullable(leader);
  }

  long term() {
    return term;
  }

  List<byte[]> log() {
    return log;
  }

  private int majority() {
    return nodes.size() / 2 + 1;
  }

  /** The consensus port of member {@code node}. */
  Consensus port(SimNode node) {
    return new Consensus() {
      @Override public CompletableFuture<ApplyResult> send(Request request) {
        return submit(node, request);
      }

      @Override public void placeLeaderAwayFrom(MemberId primary) {
        reweigh(primary);
      }
    };
  }

  // --- the client path -------------------------------------------------------------------------

  private CompletableFuture<ApplyResult> submit(SimNode from, Request request) {
    CompletableFuture<ApplyResult> reply = new CompletableFuture<>();
    byte[] entry = Codec.encode(request);
    SimNode target = leader;
    if (target == null || !net.accepts(from.index, target.index)) {
      return reply; // no leader, or none that accepts connections: the client retries until its caller gives up
    }
    int incarnation = from.incarnation;
    // Ratis' async client keeps a member's requests in order (a sliding window): none overtakes another.
    long arrival = sim.sendInOrder(from, target, lastClientArrival.getOrDefault(from, 0L),
        () -> arrive(target, new Pending(entry, reply, from, incarnation)));
    if (arrival >= 0) {
      lastClientArrival.put(from, arrival);
    }
    if (net.duplicated()) {
      // A retry after the server's retry cache expired: the same command reaches the log again.
      long later = sim.now() + 100_000_000L + random.nextLong(2_000_000_000L);
      sim.at(later, null, () -> {
        SimNode l = leader;
        if (l != null && l.alive()) {
          arrive(l, new Pending(entry, new CompletableFuture<>(), from, incarnation));
        }
      });
    }
    return reply;
  }

  private void arrive(SimNode target, Pending p) {
    if (target != leader || !target.believesLeader) {
      return; // not the leader (any more): the client would be redirected and retry
    }
    pending.add(p);
    scheduleCommit();
  }

  private void scheduleCommit() {
    if (commitScheduled || leader == null || pending.isEmpty()) {
      return;
    }
    SimNode l = leader;
    List<Long> rtts = new ArrayList<>();
    for (SimNode f : nodes) {
      if (f != l && f.alive() && !f.rejoining && net.connected(l.index, f.index)) {
        rtts.add(net.latency(l.index, f.index) + net.latency(f.index, l.index));
      }
    }
    if (rtts.size() + 1 < majority() || !l.alive()) {
      return; // retried at the next heartbeat
    }
    rtts.sort(null);
    long replicated = rtts.get(majority() - 2);
    commitScheduled = true;
    int upTo = pending.size();
    sim.at(sim.now() + replicated, null, () -> {
      commitScheduled = false;
      if (leader == l && l.alive()) {
        commit(upTo);
      }
      scheduleCommit();
    });
  }

  private void commit(int count) {
    List<Pending> batch = new ArrayList<>(pending.subList(0, Math.min(count, pending.size())));
    pending.subList(0, batch.size()).clear();
    for (Pending p : batch) {
      log.add(p.entry());
      long index = log.size();
      ApplyResult result = applyUpTo(leader, index);
      if (p.from().incarnation == p.fromIncarnation()) {
        sim.send(leader, p.from(), net.replyDelay(), () -> {
          if (p.from().incarnation == p.fromIncarnation()) {
            p.reply().complete(result);
          }
        });
      }
    }
    for (SimNode f : nodes) {
      if (f != leader) {
        long upTo = log.size();
        if (!net.appendsBlocked(f.index)) {
          sim.send(leader, f, () -> catchUp(f, upTo));
        }
      }
    }
  }

  /** Applies the log on {@code node} up to {@code index}; returns the result of that entry. */
  private ApplyResult applyUpTo(SimNode node, long index) {
    ApplyResult last = null;
    while (node.appliedIndex < index) {
      long i = node.appliedIndex + 1;
      Request request = Codec.decodeRequest(log.get((int) i - 1));
      Applied applied = transition.apply(node.state, request, i);
      node.state = applied.state();
      node.appliedIndex = i;
      node.logIndex = Math.max(node.logIndex, i);
      last = applied.result();
      if (node.rejoining && i == log.size()) {
        node.rejoining = false;
        sim.trace("raft: " + node.peer.id() + " is up to date and a voter again");
      }
      ClusterState state = applied.state();
      ApplyResult result = applied.result();
      MemberIdAware.deliver(sim, node, () -> node.runtime.applied(i, request, result, state));
    }
    return last;
  }

  private void catchUp(SimNode node, long upTo) {
    applyUpTo(node, Math.min(upTo, log.size()));
  }

  // --- heartbeats, step-down and elections -----------------------------------------------------

  private void heartbeatTick() {
    SimNode l = leader;
    if (l != null && l.alive()) {
      int reached = 1;
      for (SimNode f : nodes) {
        if (f != l && f.alive() && net.connected(l.index, f.index) && !net.appendsBlocked(f.index) && !net.lost()) {
          if (!f.rejoining) {
            reached++;
          }
          long upTo = log.size();
          sim.send(l, f, () -> {
            f.lastHeardLeader = sim.now();
            catchUp(f, upTo);
          });
        }
      }
      if (reached >= majority()) {
        l.lastMajorityContact = sim.now();
        scheduleCommit();
      }
    }
    for (SimNode n : nodes) {
      if (n.believesLeader && n.alive() && sim.now() - n.lastMajorityContact > n.real(electionMax)) {
        stepDown(n, "lost contact with a majority");
      }
      if (n.believesLeader && n != leader && n.alive() && leader != null && net.connected(n.index, leader.index)) {
        stepDown(n, "heard of a newer term");
      }
    }
    sim.at(sim.now() + heartbeat, null, this::heartbeatTick);
  }

  private void armElectionTimer(SimNode n) {
    n.electionTimeout = n.real(electionMin + random.nextLong(electionMax - electionMin));
    int incarnation = n.incarnation;
    sim.at(sim.now() + n.electionTimeout, null, () -> {
      if (n.incarnation == incarnation && n.up) {
        electionCheck(n);
      }
    });
  }

  private void electionCheck(SimNode n) {
    if (n.alive() && !n.believesLeader && !n.rejoining && sim.now() - n.lastHeardLeader >= n.electionTimeout) {
      tryElection(n);
    }
    armElectionTimer(n);
  }

  private void tryElection(SimNode candidate) {
    int votes = 0;
    for (SimNode v : nodes) {
      if (v == candidate) {
        votes++;
        continue;
      }
      boolean reachable = v.alive() && net.connected(candidate.index, v.index) && net.accepts(candidate.index, v.index);
      boolean noLiveLeader = sim.now() - v.lastHeardLeader >= v.real(electionMin) || v.believesLeader && v != leader;
      boolean logOk = candidate.logIndex > v.logIndex || candidate.logIndex == v.logIndex && v.priority <= candidate.priority;
      if (reachable && noLiveLeader && logOk && !v.rejoining && !(v == leader && v.alive())) {
        votes++;
      }
    }
    if (votes < majority()) {
      sim.trace("raft: " + candidate.peer.id() + " failed to win an election (" + votes + " votes)");
      return;
    }
    long rtt = net.latency() + net.latency();
    int incarnation = candidate.incarnation;
    sim.at(sim.now() + rtt, null, () -> {
      if (candidate.incarnation == incarnation && candidate.alive() && (leader == null || !leader.alive()
          || !net.connected(leader.index, candidate.index) || leader == candidate)) {
        becomeLeader(candidate);
      }
    });
  }

  private void becomeLeader(SimNode n) {
    SimNode previous = leader;
    if (previous != null && previous != n && previous.believesLeader && previous.alive()
        && net.connected(previous.index, n.index)) {
      stepDown(previous, "a newer term began");
    }
    term++;
    leader = n;
    n.believesLeader = true;
    n.lastMajorityContact = sim.now();
    n.lastHeardLeader = sim.now();
    // What the deposed leader appended but did not commit is either lost or kept by the new leader.
    List<Pending> carried = new ArrayList<>();
    for (Pending p : pending) {
      if (random.nextBoolean()) {
        carried.add(p);
      }
    }
    pending = carried;
    catchUp(n, log.size());
    for (SimNode m : nodes) {
      if (m.up) {
        Optional<MemberId> id = Optional.of(n.peer.id());
        long t = term;
        MemberIdAware.deliver(sim, m, () -> m.runtime.raftLeader(id, t));
      }
    }
    sim.trace("raft: " + n.peer.id() + " leads term " + term);
    // The new leader is ready once an entry of its term commits: one more round trip to a majority.
    long ready = sim.now() + net.latency() + net.latency();
    long t = term;
    sim.at(ready, n, () -> { // bound to the leader: a paused leader becomes ready when it resumes
      if (leader == n && term == t && n.believesLeader) {
        catchUp(n, log.size());
        MemberIdAware.deliver(sim, n, () -> n.runtime.leadership(true));
        scheduleCommit();
      }
    });
  }

  void stepDown(SimNode n, String why) {
    if (!n.believesLeader) {
      return;
    }
    n.believesLeader = false;
    if (leader == n) {
      leader = null;
    }
    sim.trace("raft: " + n.peer.id() + " steps down: " + why);
    if (n.up) {
      MemberIdAware.deliver(sim, n, () -> n.runtime.leadership(false));
    }
  }

  /** The host of {@code n} died: it leads no more, and what it had not committed may be lost. */
  void crashed(SimNode n) {
    n.believesLeader = false;
    if (leader == n) {
      leader = null;
      sim.trace("raft: leader " + n.peer.id() + " died");
    }
  }

  /**
   * A running follower installs the leader's snapshot: its state jumps to the end of the committed
   * log and its runtime is told so wholesale ({@code stateLoaded}), not entry by entry.
   */
  void installSnapshot(SimNode n) {
    if (leader == null || n == leader || !n.alive() || n.appliedIndex >= log.size()) {
      return;
    }
    ClusterState state = n.state;
    long index = n.appliedIndex;
    while (index < log.size()) {
      index++;
      state = transition.apply(state, Codec.decodeRequest(log.get((int) index - 1)), index).state();
    }
    n.state = state;
    n.appliedIndex = index;
    n.logIndex = Math.max(n.logIndex, index);
    ClusterState loaded = state;
    long upTo = index;
    MemberIdAware.deliver(sim, n, () -> n.runtime.stateLoaded(loaded, upTo));
  }

  /** The host of {@code n} restarted: its Raft server replays its durable log into a fresh state. */
  void restarted(SimNode n) {
    ClusterState state = ClusterState.EMPTY;
    for (int i = 1; i <= n.logIndex; i++) {
      state = transition.apply(state, Codec.decodeRequest(log.get(i - 1)), i).state();
    }
    n.state = state;
    n.appliedIndex = n.logIndex;
    n.lastHeardLeader = sim.now();
    armElectionTimer(n);
  }

  /** Forces the leader to hand over to another connected member. */
  void changeLeader() {
    SimNode l = leader;
    if (l == null || !l.alive()) {
      return;
    }
    for (SimNode n : nodes) {
      if (n != l && n.alive() && !n.rejoining && net.connected(l.index, n.index)) {
        stepDown(l, "leadership transferred");
        becomeLeader(n);
        return;
      }
    }
  }

  /** Priorities as the members' default preference gives them, never the primary; a leading primary hands over. */
  private void reweigh(MemberId primary) {
    for (SimNode n : nodes) {
      n.priority = PREFERENCE.priority(n.peer.kind(), n.peer.id().equals(primary));
    }
    SimNode l = leader;
    if (l != null && l.peer.id().equals(primary) && l.alive()) {
      handOver(l, "handing leadership away from the primary");
    }
  }

  /** Leader {@code l} hands leadership to the most preferred follower it reaches with an up-to-date log, if any. */
  private void handOver(SimNode l, String why) {
    SimNode best = null;
    for (SimNode n : nodes) {
      if (n != l && n.alive() && !n.rejoining && net.connected(l.index, n.index) && !net.appendsBlocked(n.index)
          && n.logIndex >= l.logIndex - 5 && (best == null || n.priority > best.priority)) {
        best = n;
      }
    }
    if (best != null) {
      SimNode target = best;
      sim.at(sim.now() + net.latency() + net.latency(), null, () -> {
        if (leader == l && l.alive() && target.alive() && net.connected(l.index, target.index)) {
          stepDown(l, why);
          becomeLeader(target);
        }
      });
    }
  }

  /** Runs {@code action} in {@code node}'s context if its runtime is up, as Ratis' callbacks reach the loop. */
  static final class MemberIdAware {
    private MemberIdAware() {}

    static void deliver(Simulation sim, SimNode node, Runnable action) {
      int incarnation = node.incarnation;
      sim.at(sim.now(), node, () -> {
        if (node.incarnation == incarnation && node.runtime != null) {
          action.run();
        }
      });
    }
  }
}

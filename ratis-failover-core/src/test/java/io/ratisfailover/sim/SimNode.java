package io.ratisfailover.sim;

import io.ratisfailover.Peer;
import io.ratisfailover.Ticker;
import io.ratisfailover.internal.control.Loop;
import io.ratisfailover.internal.control.MemberRuntime;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.testing.InMemoryDatabase;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Executor;

/**
 * One simulated host: its clocks (monotonic and wall, both running at its own rate), its agent's
 * loop and database threads, its Raft server's state, and its database.
 */
final class SimNode {
  static final long WALL_EPOCH_MILLIS = Instant.parse("2026-11-22T00:00:00Z").toEpochMilli();

  final int index;
  final Peer peer;
  final double rate;
  final long tickOffset;
  final long wallOffsetMillis;
  final InMemoryDatabase database;
  private final Simulation sim;

  /** The agent's process (with its Raft server) runs. */
  boolean up = true;
  /** The host runs: false only after a host crash, while an agent-only crash leaves the database running. */
  boolean hostUp = true;
  long pausedUntil = Long.MIN_VALUE;
  /** When the agent's process last started: a restarted agent needs a moment before it can act. */
  long startedAt = Long.MIN_VALUE;
  int incarnation;
  MemberRuntime runtime;
  io.ratisfailover.internal.control.Submitter submitter;
  final Lane operationLane = new Lane(false);
  /** A fence is a signal: sent during a hang, it takes effect the moment the server thaws. */
  final Lane fenceLane = new Lane(true);
  long hungUntil = Long.MIN_VALUE;
  final SimWatchdog watchdog;

  // the Raft server's side of this host
  ClusterState state = ClusterState.EMPTY;
  long appliedIndex;
  long logIndex;
  boolean believesLeader;
  long lastHeardLeader;
  long lastMajorityContact;
  long electionTimeout;
  int priority;
  /**
   * Started on wiped storage: it left the voters before it started, so it counts toward no
   * majority and stands for no election until the leader has brought it up to date.
   */
  boolean rejoining;

  SimNode(Simulation sim, int index, Peer peer, double rate, long tickOffset, long wallOffsetMillis,
      InMemoryDatabase database) {
    this.sim = sim;
    this.index = index;
    this.peer = peer;
    this.rate = rate;
    this.tickOffset = tickOffset;
    this.wallOffsetMillis = wallOffsetMillis;
    this.database = database;
    this.watchdog = new SimWatchdog(sim, this);
  }

  boolean paused() {
    return sim.now() < pausedUntil;
  }

  /** The database is frozen; including the instant it thaws, when signals sent during the hang land first. */
  boolean databaseHung() {
    return sim.now() <= hungUntil;
  }

  /**
   * The agent cannot act on its database: its process is dead or paused, or it resumed or started
   * less than {@code grace} ago (a thawed process needs a moment to fence).
   */
  boolean agentDormant(long grace) {
    return !up || paused() || within(pausedUntil, grace) || within(startedAt, grace) || within(restartHangEnd(), grace);
  }

  /**
   * When the database of a restarted agent came out of a hang that covered the restart: the agent's
   * first status (and so its first fence) cannot finish before that, and the database takes writes
   * again at once.
   */
  private long restartHangEnd() {
    return startedAt != Long.MIN_VALUE && hungUntil > startedAt ? hungUntil : Long.MIN_VALUE;
  }

  private boolean within(long since, long grace) {
    return since != Long.MIN_VALUE && sim.now() - since < grace;
  }

  /** Up and not paused: able to act and to answer. */
  boolean alive() {
    return up && !paused();
  }

  long ticks(long real) {
    return tickOffset + (long) (real * rate);
  }

  long ticks() {
    return ticks(sim.now());
  }

  /** Real nanoseconds for a duration measured on this host's clock. */
  long real(long localNanos) {
    return (long) Math.ceil(localNanos / rate);
  }

  Ticker ticker() {
    return this::ticks;
  }

  Clock clock() {
    return new Clock() {
      @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
      @Override public Clock withZone(java.time.ZoneId zone) { return this; }
      @Override public Instant instant() {
        return Instant.ofEpochMilli(WALL_EPOCH_MILLIS + wallOffsetMillis + (long) (sim.now() * rate / 1_000_000));
      }
    };
  }

  Loop loop() {
    return new Loop() {
      @Override public void execute(Runnable task) {
        sim.at(sim.now(), SimNode.this, task);
      }

      @Override public Cancellable schedule(Duration delay, Runnable task) {
        boolean[] cancelled = {false};
        sim.at(sim.now() + real(Math.max(0, delay.toNanos())), SimNode.this, () -> {
          if (!cancelled[0]) {
            task.run();
          }
        });
        return () -> cancelled[0] = true;
      }

      @Override public boolean inLoop() {
        return sim.current() == SimNode.this;
      }
    };
  }

  /**
   * A database thread: runs its tasks one after another, each taking a random latency, none while
   * the database hangs. Tasks run in this host's context, so a paused host finishes them late.
   */
  final class Lane implements Executor {
    private final Deque<Runnable> queue = new ArrayDeque<>();
    private final boolean actsThroughHang;
    private boolean busy;

    Lane(boolean actsThroughHang) {
      this.actsThroughHang = actsThroughHang;
    }

    @Override
    public void execute(Runnable task) {
      queue.add(task);
      next();
    }

    void next() {
      if (busy || queue.isEmpty()) {
        return;
      }
      busy = true;
      int at = incarnation;
      long start = actsThroughHang ? sim.now() : Math.max(sim.now(), hungUntil);
      sim.at(start + sim.databaseLatency(), SimNode.this, () -> {
        if (sim.now() < hungUntil) { // hung while it ran: it finishes when the hang ends
          sim.at(hungUntil, SimNode.this, () -> finish(at));
        } else {
          finish(at);
        }
      });
    }

    private void finish(int at) {
      Runnable task = queue.poll();
      if (task != null && at == incarnation) {
        task.run(); // the lane stays busy while the task blocks (Simulation.block)
      }
      if (at == incarnation) {
        busy = false;
        next();
      }
    }

    void clear() {
      queue.clear();
      busy = false;
    }
  }
}

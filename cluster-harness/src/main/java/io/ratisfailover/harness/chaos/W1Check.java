package io.ratisfailover.harness.chaos;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Invariant W1 (at most one PostgreSQL accepts writes at any instant) seen from outside: every
 * {@link Observer#EVERY}, a write straight into each data member's PostgreSQL (not through HAProxy,
 * and whatever the member claims about its lease), in a transaction with {@code synchronous_commit =
 * local}, so the probe asks whether the server accepts writes at all and a commit waiting for a
 * standby never holds it up. Each member's accepted probes, back to back, form runs of time in which
 * its server accepted writes; a refused probe ends a run. Two members' runs that overlap break W1.
 *
 * <p>The one allowed exception: a member whose agent the harness killed or froze, while its
 * PostgreSQL went on serving, for {@code ttl - lease_margin} after the agent stopped. Overlaps past
 * that bound need the agent's guard (watchdog, fencing when the agent dies), which does not exist
 * yet: they fail the run only with {@code requireGuard}; overlaps with no stopped agent always do.
 */
final class W1Check implements AutoCloseable {
  static final String TABLE = "chaos_w1";
  /** Probes further apart than this (a stalled prober) do not join one run: nothing was seen in between. */
  private static final long MERGE_GAP_NANOS = 3 * Observer.EVERY.toNanos();

  /**
   * A stretch of time in which the member's server accepted every probe (System.nanoTime), and the
   * last probe it refused before (0: none): a server that refused nothing since its agent stopped
   * has been writable since the stop, even when a stalled prober split the stretch in two.
   */
  record Run(String member, long from, long to, long refusedBefore) {}

  /** The harness stopped the member's agent while its PostgreSQL may have gone on (kill -9, SIGSTOP). */
  record AgentStop(String member, long at, Fault.Kind kind) {}

  /** Two members' runs overlapping from {@code from} to {@code to}, and the agent stop that may excuse it. */
  record Overlap(long from, long to, Optional<AgentStop> stop) {}

  private final ChaosCluster cluster;
  private final long started;
  private final Duration bound;
  private final boolean requireGuard;
  private final Map<String, List<Run>> runs = new HashMap<>();
  private final Map<String, Run> open = new HashMap<>();
  private final Map<String, Long> lastRefusal = new HashMap<>();
  private final List<AgentStop> stops = new CopyOnWriteArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicLong probes = new AtomicLong();
  private final AtomicLong accepted = new AtomicLong();
  private volatile boolean running = true;

  /**
   * @param bound how long a server whose agent stopped may still accept writes: {@code ttl - lease_margin}
   * @param requireGuard whether an overlap past {@code bound} after an agent stop fails the run
   */
  W1Check(ChaosCluster cluster, long started, Duration bound, boolean requireGuard) {
    this.cluster = cluster;
    this.started = started;
    this.bound = bound;
    this.requireGuard = requireGuard;
  }

  W1Check start() {
    for (String m : ChaosCluster.DATA) {
      Thread t = new Thread(() -> probe(m), "w1-probe-" + m);
      t.setDaemon(true);
      t.start();
      threads.add(t);
    }
    return this;
  }

  /** Called as the harness kills or freezes the member's agent. */
  void agentStopped(String member, Fault.Kind kind) {
    agentStopped(member, kind, System.nanoTime());
  }

  void agentStopped(String member, Fault.Kind kind, long atNanos) {
    stops.add(new AgentStop(member, atNanos, kind));
  }

  private void probe(String member) {
    Properties props = Observer.directConnection();
    Connection c = null;
    while (running) {
      long due = System.nanoTime() + Observer.EVERY.toNanos();
      long from = 0;
      boolean ok = false;
      try {
        if (c == null) {
          c = DriverManager.getConnection(cluster.jdbc(member), props);
          c.setAutoCommit(false);
        }
        // The window starts when the write goes out: connecting says nothing about writability.
        from = System.nanoTime();
        try (Statement s = c.createStatement()) {
          s.execute("SET LOCAL synchronous_commit = local");
          s.execute("SET LOCAL statement_timeout = '500ms'");
          s.executeUpdate("INSERT INTO " + TABLE + " (member) VALUES ('" + member + "')");
        }
        c.commit();
        ok = true;
      } catch (SQLException e) {
        c = afterRefusal(c, e);
      }
      if (from != 0) {
        record(member, from, System.nanoTime(), ok);
      }
      long left = due - System.nanoTime();
      if (left > 0) {
        LockSupport.parkNanos(left);
      }
    }
    Observer.closeQuietly(c);
  }

  /** A refusal (read-only, missing table) keeps the connection; a broken or timed-out one is dropped. */
  private static Connection afterRefusal(Connection c, SQLException e) {
    String state = e.getSQLState() == null ? "08000" : e.getSQLState();
    if (c != null && !state.startsWith("08") && !state.startsWith("57")) {
      try {
        c.rollback();
        return c;
      } catch (SQLException broken) {
        // fall through: drop it
      }
    }
    Observer.closeQuietly(c);
    return null;
  }

  synchronized void record(String member, long from, long to, boolean ok) {
    probes.incrementAndGet();
    Run current = open.get(member);
    if (!ok) {
      closeRun(member);
      lastRefusal.put(member, from);
      return;
    }
    accepted.incrementAndGet();
    if (current != null && from - current.to() <= MERGE_GAP_NANOS) {
      open.put(member, new Run(member, current.from(), to, current.refusedBefore()));
    } else {
      closeRun(member);
      open.put(member, new Run(member, from, to, lastRefusal.getOrDefault(member, 0L)));
    }
  }

  private void closeRun(String member) {
    Run r = open.remove(member);
    if (r != null) {
      runs.computeIfAbsent(member, k -> new ArrayList<>()).add(r);
    }
  }

  /** Every overlap of two members' runs, each with the agent stop that explains it, if any. */
  synchronized List<Overlap> overlaps() {
    List<Run> a = allRuns("pg1");
    List<Run> b = allRuns("pg2");
    List<Overlap> found = new ArrayList<>();
    for (Run x : a) {
      for (Run y : b) {
        long from = Math.max(x.from(), y.from());
        long to = Math.min(x.to(), y.to());
        if (from < to) {
          found.add(new Overlap(from, to, stopDuring(x).or(() -> stopDuring(y))));
        }
      }
    }
    return found;
  }

  private List<Run> allRuns(String member) {
    List<Run> all = new ArrayList<>(runs.getOrDefault(member, List.of()));
    Optional.ofNullable(open.get(member)).ifPresent(all::add);
    return all;
  }

  /** The last agent stop on the run's member after which its server refused nothing until the run. */
  private Optional<AgentStop> stopDuring(Run r) {
    return stops.stream().filter(s -> s.member().equals(r.member()) && s.at() > r.refusedBefore() && s.at() <= r.to())
        .reduce((first, second) -> second);
  }

  /** How long after each agent stop the member's server still accepted writes (stops on a refusing server: none). */
  synchronized List<Long> writableAfterStopsMillis() {
    List<Long> out = new ArrayList<>();
    for (AgentStop s : stops) {
      allRuns(s.member()).stream().filter(r -> s.at() > r.refusedBefore() && s.at() <= r.to())
          .mapToLong(Run::to).max().ifPresent(to -> out.add((to - s.at()) / 1_000_000));
    }
    return out;
  }

  /** Overlaps that fail the run: none of the members' agents stopped, or past the bound with the guard required. */
  List<String> violations() {
    List<String> out = new ArrayList<>();
    for (Overlap o : overlaps()) {
      if (o.stop().isEmpty()) {
        out.add(describe(o) + " with every agent running");
      } else if (requireGuard && pastBound(o) > 0) {
        out.add(describe(o) + ", " + pastBound(o) + " ms past ttl - lease_margin after the " + o.stop().get().kind()
            + " on " + o.stop().get().member());
      }
    }
    return out;
  }

  /** Overlaps after an agent stop that do not fail the run (yet): one line each. */
  List<String> excused() {
    List<String> out = new ArrayList<>();
    for (Overlap o : overlaps()) {
      o.stop().ifPresent(s -> {
        long past = pastBound(o);
        if (past > 0 && !requireGuard) {
          out.add(describe(o) + " after the " + s.kind() + " on " + s.member() + ": " + past
              + " ms past ttl - lease_margin (the agent's guard should have stopped it; not failed with -Dchaos.requireW1=false)");
        } else if (past <= 0) {
          out.add(describe(o) + " within ttl - lease_margin after the " + s.kind() + " on " + s.member());
        }
      });
    }
    return out;
  }

  /** How much of the overlap lies past {@code bound} after the agent stop that excuses it, in ms. */
  private long pastBound(Overlap o) {
    long limit = o.stop().orElseThrow().at() + bound.toNanos();
    return Math.max(0, o.to() - Math.max(o.from(), limit)) / 1_000_000;
  }

  private String describe(Overlap o) {
    return String.format(Locale.ROOT, "W1: pg1 and pg2 both accepted direct writes from t+%.2fs for %d ms",
        (o.from() - started) / 1e9, (o.to() - o.from()) / 1_000_000);
  }

  long probes() {
    return probes.get();
  }

  /** Overlaps past {@code ttl - lease_margin} after an agent stop: what the agent's guard must prevent. */
  long overlapsPastBound() {
    return overlaps().stream().filter(o -> o.stop().isPresent() && pastBound(o) > 0).count();
  }

  /** The longest a server went on accepting writes after the harness stopped its agent, in ms. */
  long longestWritableAfterStopMillis() {
    return writableAfterStopsMillis().stream().mapToLong(Long::longValue).max().orElse(0);
  }

  String summary() {
    List<Overlap> all = overlaps();
    long unexplained = all.stream().filter(o -> o.stop().isEmpty()).count();
    return String.format(Locale.ROOT, "%d direct write probes (%d accepted), %d W1 overlaps (%d with every agent running, "
        + "%d past ttl - lease_margin = %d ms after an agent stop); %d agent stops on a writable server, "
        + "longest still writable after one: %d ms", probes.get(), accepted.get(), all.size(), unexplained,
        overlapsPastBound(), bound.toMillis(), writableAfterStopsMillis().size(), longestWritableAfterStopMillis());
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    for (Thread t : threads) {
      t.join(5_000);
    }
  }
}

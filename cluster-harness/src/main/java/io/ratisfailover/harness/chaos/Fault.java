package io.ratisfailover.harness.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * One fault of a chaos schedule: what, on whom ({@code primary} means whichever member serves when
 * the fault strikes), how long until it heals, and the quiet time after.
 */
record Fault(Kind kind, String target, Duration lasts, Duration quietAfter) {
  /** Above the 200 ms a cluster at default timing must ride out: slow links may cost a failover. */
  static final Duration JITTER = Duration.ofMillis(300);
  static final int LOSS_PERCENT = 15;

  enum Kind {
    /** kill -9 of the agent alone (PostgreSQL lives on); restarted when the fault heals. */
    KILL_AGENT(true, true),
    /** kill -9 of the postmaster; the agent deals with it. */
    KILL_POSTGRES(false, false),
    /** kill -9 of agent and postmaster: the host died; restarted when the fault heals. */
    KILL_HOST(false, false),
    /** SIGSTOP of the agent's JVM, SIGCONT when it heals. */
    FREEZE_AGENT(true, true),
    /** The whole PostgreSQL server frozen by the cgroup freezer, thawed when it heals. */
    FREEZE_POSTGRES(false, false),
    /** Every packet on the member's link dropped, until it heals. */
    CUT_OFF(true, false),
    /** A clean stop of the agent (SIGTERM) and a start when it heals. */
    RESTART(true, false),
    /** Every chunk on the member's links to its peers delayed by up to {@link #JITTER}, both ways. */
    SLOW_LINKS(true, false),
    /** {@link #LOSS_PERCENT} % of the packets into the member from its peers and HAProxy dropped. */
    LOSSY_LINKS(true, false),
    /**
     * The member cut off, its agent killed (kill -9, PostgreSQL lives on) and started again while
     * it is still cut off; the network heals when the fault does. A restarted agent must not leave
     * a server writable that the rest of the cluster has replaced.
     */
    RESTART_CUT_OFF(true, true),
    /**
     * Connections into the member's Raft port dropped (the leader's appends and heartbeats, vote
     * requests; on the leader, the others' client requests), while the member's own outbound
     * connections (its Raft client, its vote requests) still work: the situation of chaos seed 453479.
     */
    RAFT_INBOUND_BLOCKED(true, false),
    /**
     * The agent killed (kill -9, PostgreSQL lives on), its Raft storage deleted, and the agent
     * started again as it was: it must refuse to vote as its old self, with a line naming
     * {@code --rejoin}. When the fault heals it is started with {@code --rejoin}, the recovery step
     * the README gives.
     */
    RAFT_STORAGE_WIPED(true, true),
    /**
     * A planned switchover asked of the member's API: away from it when it serves, to it when it is
     * the standby. It runs on while the schedule goes on; nothing to heal.
     */
    SWITCHOVER(false, false);

    /** Whether the witness can suffer it (it has no PostgreSQL). */
    final boolean witnessToo;
    /**
     * Whether the fault stops the agent while its PostgreSQL may go on serving: until the agent's
     * guard (watchdog, fencing on agent death) exists, W1 has an exception for such a member.
     */
    final boolean stopsAgentAlone;

    Kind(boolean witnessToo, boolean stopsAgentAlone) {
      this.witnessToo = witnessToo;
      this.stopsAgentAlone = stopsAgentAlone;
    }
  }

  /** The run's replication mode, from its seed (a stream of its own: the schedule stays as it was): both modes get covered. */
  static boolean synchronous(long seed) {
    return new SplittableRandom(seed).nextBoolean();
  }

  /** A schedule filling {@code duration}, the same for the same seed. */
  static List<Fault> schedule(long seed, Duration duration) {
    Random random = new Random(seed);
    List<Fault> faults = new ArrayList<>();
    // A fault with its heal and recovery takes 5 to 15 s; plan more than fit, the run stops on time.
    long planned = Math.max(3, duration.toSeconds() / 5);
    for (int i = 0; i < planned; i++) {
      Kind kind = Kind.values()[random.nextInt(Kind.values().length)];
      String target;
      int pick = random.nextInt(10);
      if (pick < 5) {
        target = "primary";
      } else if (pick < 8 || !kind.witnessToo) {
        target = "standby";
      } else {
        target = "w1";
      }
      Duration lasts = Duration.ofMillis(500 + random.nextInt(7_500));
      Duration quiet = Duration.ofMillis(2_000 + random.nextInt(4_000));
      faults.add(new Fault(kind, target, lasts, quiet));
    }
    return faults;
  }

  /**
   * A fixed schedule, for a story the seeded ones never draw: {@code KIND target seconds} items
   * separated by {@code ;}, the target {@code primary}, {@code standby}, {@code leader} (Raft's) or
   * a member's name; 5 s of quiet after each.
   */
  static List<Fault> parse(String text) {
    List<Fault> faults = new ArrayList<>();
    for (String item : text.split(";")) {
      String[] words = item.trim().split("\\s+");
      if (words.length != 3) {
        throw new IllegalArgumentException("a fault is 'KIND target seconds', not '" + item.trim() + "'");
      }
      faults.add(new Fault(Kind.valueOf(words[0]), words[1], Duration.ofSeconds(Long.parseLong(words[2])),
          Duration.ofSeconds(5)));
    }
    return faults;
  }

  /** How long a fixed schedule takes, its quiet times included. */
  static Duration length(List<Fault> faults) {
    return faults.stream().map(f -> f.lasts().plus(f.quietAfter())).reduce(Duration.ZERO, Duration::plus);
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%s %s for %.1fs", kind, target, lasts.toMillis() / 1000.0);
  }
}

package io.ratisfailover.examples.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

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
    KILL_AGENT(true),
    /** kill -9 of the postmaster; the agent deals with it. */
    KILL_POSTGRES(false),
    /** kill -9 of agent and postmaster: the host died; restarted when the fault heals. */
    KILL_HOST(false),
    /** SIGSTOP of the agent's JVM, SIGCONT when it heals. */
    FREEZE_AGENT(true),
    /** The whole PostgreSQL server frozen by the cgroup freezer, thawed when it heals. */
    FREEZE_POSTGRES(false),
    /** Every packet on the member's link dropped, until it heals. */
    CUT_OFF(true),
    /** A clean stop of the agent (SIGTERM) and a start when it heals. */
    RESTART(true),
    /** Every chunk on the member's links to its peers delayed by up to {@link #JITTER}, both ways. */
    SLOW_LINKS(true),
    /** {@link #LOSS_PERCENT} % of the packets into the member from its peers and HAProxy dropped. */
    LOSSY_LINKS(true);

    /** Whether the witness can suffer it (it has no PostgreSQL). */
    final boolean witnessToo;

    Kind(boolean witnessToo) {
      this.witnessToo = witnessToo;
    }
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

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "%s %s for %.1fs", kind, target, lasts.toMillis() / 1000.0);
  }
}

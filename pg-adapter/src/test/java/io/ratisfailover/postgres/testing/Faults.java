package io.ratisfailover.postgres.testing;

import io.ratisfailover.HistoryEntry;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.testing.Await;
import java.time.Duration;
import java.util.Optional;

/**
 * The changes of primary the tests and the benchmark drive a {@link TestCluster} through, each from a
 * steady cluster (a serving primary, its standby streaming and, in synchronous mode, recorded as
 * synchronous) back to a steady cluster with the old primary following the new one.
 */
public final class Faults {
  private Faults() {}

  /** A change of primary. */
  public enum Kind {
    /** The primary's host dies: agent and PostgreSQL; failover after the lease. */
    WHOLE_MEMBER_CRASH,
    /** Only PostgreSQL dies (SIGKILL of the postmaster); the agent releases at once. */
    POSTGRES_CRASH,
    /** A planned switchover. */
    SWITCHOVER
  }

  /**
   * What one change of primary did.
   *
   * @param unavailable from the writer's last acknowledged write before the fault to its first after
   */
  public record Outcome(Kind kind, String from, String to, HistoryEntry.Cause cause, Optional<Duration> unavailable) {}

  /** Waits until the cluster is steady and returns its primary. */
  public static String awaitSteady(TestCluster c, Duration timeout) {
    String primary = c.awaitPrimary(timeout);
    String standby = other(primary);
    c.awaitFollowing(standby, primary, timeout);
    awaitSameTimeline(c, standby, primary, timeout);
    if (c.view().settings().synchronousMode() != SynchronousMode.OFF) {
      c.awaitSynchronous(standby, timeout);
    }
    return primary;
  }

  /**
   * Injects {@code kind} into a steady cluster, waits for the new primary to serve and the writer
   * to get through, brings the old primary back and waits until the cluster is steady again.
   */
  public static Outcome inject(TestCluster c, Writer writer, Kind kind, Duration timeout) {
    String old = awaitSteady(c, timeout);
    writer.awaitAcknowledged(3, timeout);
    long faultAt = System.nanoTime();
    switch (kind) {
      case WHOLE_MEMBER_CRASH -> c.killMember(old);
      case POSTGRES_CRASH -> c.crashPostgres(old);
      case SWITCHOVER -> c.switchover(old, timeout);
    }
    String next = Await.value("a new primary after " + kind, timeout,
        () -> c.servingPrimary().filter(id -> !id.equals(old)).orElse(null));
    long recoveredAt = System.nanoTime();
    writer.awaitAcknowledged(3, timeout);
    Optional<Duration> unavailable = writer.unavailability(faultAt, recoveredAt);
    if (kind == Kind.WHOLE_MEMBER_CRASH) {
      c.start(old);
    }
    awaitSteady(c, timeout);
    return new Outcome(kind, old, next, c.lastCause(), unavailable);
  }

  public static String other(String member) {
    return member.equals("pg1") ? "pg2" : "pg1";
  }

  /** The standby replays the primary's current timeline (right after a rewind it still streams the old one). */
  public static void awaitSameTimeline(TestCluster c, String standby, String primary, Duration timeout) {
    Await.until(standby + " on " + primary + "'s timeline", timeout, () -> {
      Optional<Long> s = c.database(standby).map(DatabaseStatus::timeline);
      Optional<Long> p = c.database(primary).map(DatabaseStatus::timeline);
      return s.isPresent() && s.equals(p);
    }, c::describe);
  }
}

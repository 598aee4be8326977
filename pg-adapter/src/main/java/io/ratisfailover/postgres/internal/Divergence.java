package io.ratisfailover.postgres.internal;

import io.ratisfailover.Lsn;
import java.util.Optional;

/**
 * Whether a data directory can stream from an upstream as it is, or holds WAL the upstream's
 * history does not (a former primary that wrote past the point where the upstream was promoted, or
 * an asynchronous standby that received more than the promoted one) and must be rewound first.
 * The same rule {@code pg_rewind} applies, decided up front so that a clean switchover never runs it.
 */
public final class Divergence {
  private Divergence() {}

  /** What the data directory needs before it can stream from the upstream. */
  public enum Action {
    /** Nothing: its history is a prefix of the upstream's. */
    FOLLOW,
    /** {@code pg_rewind}: it holds WAL past the point where the upstream's history left its own. */
    REWIND,
    /**
     * A fresh clone: its timeline has the same number as the upstream's but another history (two
     * servers promoted to the same timeline number), which {@code pg_rewind} takes for one timeline.
     */
    RECLONE
  }

  /** The verdict and the reason, for the log. */
  public record Verdict(Action action, String reason) {
    /** Whether the data directory cannot stream from the upstream as it is. */
    public boolean rewind() {
      return action != Action.FOLLOW;
    }

    static Verdict follow(String reason) {
      return new Verdict(Action.FOLLOW, reason);
    }

    static Verdict rewind(String reason) {
      return new Verdict(Action.REWIND, reason);
    }

    static Verdict reclone(String reason) {
      return new Verdict(Action.RECLONE, reason);
    }
  }

  /**
   * @param kind how the local data directory was left
   * @param localTimeline the timeline its position is on
   * @param localPosition a standby's last applied (or received) position; a clean primary's shutdown
   *     checkpoint; empty for a crashed primary
   * @param upstreamTimeline the upstream's current timeline
   * @param localHistory the data directory's own history file for {@code localTimeline}, when it is above 1
   * @param upstreamHistory the upstream's history file for {@code upstreamTimeline}, when it is above 1
   * @param checkpointEnd for a clean primary, where its shutdown checkpoint record ends, if known
   */
  public static Verdict decide(ControlData.Shutdown kind, long localTimeline, Optional<Lsn> localPosition,
      Optional<TimelineHistory> localHistory, long upstreamTimeline, Optional<TimelineHistory> upstreamHistory,
      Optional<Lsn> checkpointEnd) {
    if (kind == ControlData.Shutdown.CRASHED_PRIMARY || localPosition.isEmpty()) {
      return Verdict.rewind("the data directory was not shut down cleanly as a primary: only recovery"
          + " tells where its WAL ends, so pg_rewind checks it");
    }
    Lsn local = localPosition.get();
    if (localTimeline == upstreamTimeline) {
      if (localHistory.isPresent() && upstreamHistory.isPresent()
          && !localHistory.get().entries().equals(upstreamHistory.get().entries())) {
        return Verdict.reclone("timeline " + localTimeline + " here (" + localHistory.get().describe()
            + ") is not the upstream's timeline " + upstreamTimeline + " (" + upstreamHistory.get().describe()
            + "): two servers were promoted to the same timeline number");
      }
      return Verdict.follow("same timeline " + localTimeline + " as the upstream");
    }
    if (localTimeline > upstreamTimeline) {
      return Verdict.rewind("local timeline " + localTimeline + " is ahead of the upstream's " + upstreamTimeline);
    }
    if (localHistory.isPresent() && upstreamHistory.isPresent()
        && !upstreamHistory.get().ancestorsOf(localTimeline).equals(localHistory.get().entries())) {
      return Verdict.rewind("timeline " + localTimeline + " here (" + localHistory.get().describe()
          + ") is not the one in the upstream's history (" + upstreamHistory.get().describe() + ")");
    }
    Optional<Lsn> switchpoint = upstreamHistory.flatMap(h -> h.switchpoint(localTimeline));
    if (switchpoint.isEmpty()) {
      return Verdict.rewind("local timeline " + localTimeline + " is not in the history of the upstream's timeline "
          + upstreamTimeline);
    }
    Lsn s = switchpoint.get();
    String where = "timeline " + localTimeline + " ended at " + s + " in the upstream's history";
    if (kind == ControlData.Shutdown.STANDBY) {
      return local.compareTo(s) > 0
          ? Verdict.rewind("applied WAL up to " + local + " but " + where)
          : Verdict.follow("applied WAL up to " + local + ", not past where " + where);
    }
    if (local.compareTo(s) >= 0) {
      return Verdict.rewind("shut down at " + local + " but " + where);
    }
    // A primary shut down cleanly writes a checkpoint as its last record; if the upstream branched
    // off exactly where that record ends, it has everything and nothing more.
    if (checkpointEnd.filter(s::equals).isPresent()) {
      return Verdict.follow("shut down cleanly at " + local + " and " + where + ", right after the shutdown checkpoint");
    }
    return Verdict.rewind("shut down at " + local + " (checkpoint ending at "
        + checkpointEnd.map(Lsn::toString).orElse("an unknown position") + ") but " + where);
  }
}

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

  /** The verdict and the reason, for the log. */
  public record Verdict(boolean rewind, String reason) {
    static Verdict follow(String reason) {
      return new Verdict(false, reason);
    }

    static Verdict rewind(String reason) {
      return new Verdict(true, reason);
    }
  }

  /**
   * @param kind how the local data directory was left
   * @param localTimeline the timeline its position is on
   * @param localPosition a standby's last applied (or received) position; a clean primary's shutdown
   *     checkpoint; empty for a crashed primary
   * @param upstreamTimeline the upstream's current timeline
   * @param upstreamHistory the upstream's history file for {@code upstreamTimeline}, when it is above 1
   * @param checkpointEnd for a clean primary, where its shutdown checkpoint record ends, if known
   */
  public static Verdict decide(ControlData.Shutdown kind, long localTimeline, Optional<Lsn> localPosition,
      long upstreamTimeline, Optional<TimelineHistory> upstreamHistory, Optional<Lsn> checkpointEnd) {
    if (kind == ControlData.Shutdown.CRASHED_PRIMARY || localPosition.isEmpty()) {
      return Verdict.rewind("the data directory was not shut down cleanly as a primary: only recovery"
          + " tells where its WAL ends, so pg_rewind checks it");
    }
    Lsn local = localPosition.get();
    if (localTimeline == upstreamTimeline) {
      return Verdict.follow("same timeline " + localTimeline + " as the upstream");
    }
    if (localTimeline > upstreamTimeline) {
      return Verdict.rewind("local timeline " + localTimeline + " is ahead of the upstream's " + upstreamTimeline);
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

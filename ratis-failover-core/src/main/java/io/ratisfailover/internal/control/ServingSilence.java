package io.ratisfailover.internal.control;

import java.time.Duration;

/**
 * Since when nothing this member published could answer 200 on {@code /primary}. A release carries
 * that silence, so the next primary's hold-off counts from the moment the old primary stopped
 * answering (in a switchover, before its clean stop) and not from the release's apply, which comes
 * a whole clean stop later. Loop thread only.
 */
final class ServingSilence {
  private boolean mayServe;
  private boolean servedInThisRun;
  private long mayServeUntil;

  /**
   * A snapshot was published at tick {@code now}; {@code mayServe} whether it answers 200 while its
   * lease is valid. The snapshot it replaced could answer until now, if it could at all.
   */
  void published(boolean mayServe, long now) {
    if (this.mayServe || mayServe) {
      mayServeUntil = now;
      servedInThisRun = true;
    }
    this.mayServe = mayServe;
  }

  /**
   * How long, at tick {@code now}, this member has not been able to answer 200; zero while it can,
   * and when it never could since it started (an earlier run may have, until its lease ended).
   */
  Duration at(long now) {
    if (mayServe || !servedInThisRun || now <= mayServeUntil) {
      return Duration.ZERO;
    }
    return Duration.ofNanos(now - mayServeUntil);
  }
}

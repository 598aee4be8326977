package io.ratisfailover.internal.control;

import io.ratisfailover.Epoch;
import java.time.Duration;

/**
 * Since when nothing this member published could answer 200 on {@code /primary}. A release carries
 * that silence, so the next primary's hold-off counts from the moment the old primary stopped
 * answering (in a switchover, before its clean stop) and not from the release's apply, which comes
 * a whole clean stop later. Only a silence within the released epoch says anything: a member that
 * releases an epoch it never served in (elected, then asked to switch over before it promoted)
 * may have been silent for long, while the primary before it answered until just now. Loop thread
 * only.
 */
final class ServingSilence {
  private boolean mayServe;
  /** The epoch of the last snapshot that could answer 200; null when none could since the start. */
  private Epoch servedIn;
  private long mayServeUntil;

  /**
   * A snapshot of {@code epoch} was published at tick {@code now}; {@code mayServe} whether it
   * answers 200 while its lease is valid. The snapshot it replaced could answer until now, if it
   * could at all.
   */
  void published(boolean mayServe, Epoch epoch, long now) {
    if (this.mayServe || mayServe) {
      mayServeUntil = now;
    }
    if (mayServe) {
      servedIn = epoch;
    }
    this.mayServe = mayServe;
  }

  /**
   * How long, at tick {@code now}, this member has not been able to answer 200 as the primary of
   * {@code released}; zero while it can, and when it never could in that epoch since it started (an
   * earlier run may have, until its lease ended).
   */
  Duration at(Epoch released, long now) {
    if (mayServe || !released.equals(servedIn) || now <= mayServeUntil) {
      return Duration.ZERO;
    }
    return Duration.ofNanos(now - mayServeUntil);
  }
}

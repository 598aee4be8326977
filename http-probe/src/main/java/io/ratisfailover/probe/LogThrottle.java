package io.ratisfailover.probe;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Lets one log line through per interval and counts the rest, so a client that hammers the API
 * with bad credentials cannot flood the member's log.
 */
final class LogThrottle {
  private final long intervalNanos;
  private final LongSupplier ticker;
  private boolean logged;
  private long nextAt;
  private long suppressed;

  LogThrottle(Duration interval, LongSupplier ticker) {
    this.intervalNanos = interval.toNanos();
    this.ticker = ticker;
  }

  /** Runs {@code log} with a note on how many lines were suppressed since the last, or counts it. */
  void log(Consumer<String> log) {
    String note;
    synchronized (this) {
      long now = ticker.getAsLong();
      if (logged && now - nextAt < 0) {
        suppressed++;
        return;
      }
      note = suppressed == 0 ? "" : " (" + suppressed + " more like it suppressed)";
      logged = true;
      suppressed = 0;
      nextAt = now + intervalNanos;
    }
    log.accept(note);
  }
}

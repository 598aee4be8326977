package io.ratisfailover.harness.chaos;

import java.time.Duration;
import org.slf4j.Logger;

/** A warning logged at most once per period, with the number of its repeats left out since the last one. */
final class RateLimitedWarning {
  private final long periodNanos;
  private long lastNanos;
  private boolean logged;
  private int suppressed;

  RateLimitedWarning(Duration period) {
    this.periodNanos = period.toNanos();
  }

  synchronized void warn(Logger log, String format, Object... args) {
    long now = System.nanoTime();
    if (logged && now - lastNanos < periodNanos) {
      suppressed++;
      return;
    }
    String repeats = suppressed == 0 ? "" : " (" + suppressed + " more like it since the last)";
    log.warn(format + repeats, args);
    logged = true;
    lastNanos = now;
    suppressed = 0;
  }
}

package io.ratisfailover.internal.control;

import java.time.Duration;

/** Arithmetic on {@link io.ratisfailover.Ticker} readings, safe across numeric overflow. */
final class Ticks {
  private Ticks() {}

  /** Whether tick {@code a} comes before tick {@code b}. */
  static boolean before(long a, long b) {
    return a - b < 0;
  }

  static boolean reached(long now, long deadline) {
    return now - deadline >= 0;
  }

  static long later(long a, long b) {
    return before(a, b) ? b : a;
  }

  static long earlier(long a, long b) {
    return before(a, b) ? a : b;
  }

  static long plus(long tick, Duration d) {
    return tick + d.toNanos();
  }

  static Duration between(long from, long to) {
    return Duration.ofNanos(to - from);
  }
}

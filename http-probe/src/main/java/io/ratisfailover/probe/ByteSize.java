package io.ratisfailover.probe;

import java.util.Locale;

/**
 * Byte counts as routers write them in {@code ?lag=}: a plain number of bytes, or a number with
 * PostgreSQL's memory units {@code B}, {@code kB}, {@code MB}, {@code GB}, {@code TB} (powers of
 * 1024, as Patroni reads them). Units are matched without regard to case, so {@code 1mb} works too.
 */
final class ByteSize {
  private ByteSize() {}

  /**
   * @throws IllegalArgumentException with a message fit for a 400 answer. Patroni silently treats an
   *     unreadable {@code lag} as "no limit"; we refuse it, because a typo in a router's check would
   *     otherwise send reads to replicas of any lag.
   */
  static long parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("a byte size is required, for example 1048576 or 1MB");
    }
    String s = text.strip();
    int end = 0;
    while (end < s.length() && Character.isDigit(s.charAt(end))) {
      end++;
    }
    if (end == 0) {
      throw new IllegalArgumentException("'" + text + "' is not a byte size: use a whole number with an optional"
          + " unit B, kB, MB, GB or TB, for example 1048576 or 1MB");
    }
    long number;
    try {
      number = Long.parseLong(s.substring(0, end));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is too large a byte size", e);
    }
    String unit = s.substring(end).strip().toLowerCase(Locale.ROOT);
    int shift = switch (unit) {
      case "", "b" -> 0;
      case "kb" -> 10;
      case "mb" -> 20;
      case "gb" -> 30;
      case "tb" -> 40;
      default -> throw new IllegalArgumentException("'" + text + "' has an unknown unit '" + s.substring(end).strip()
          + "': use B, kB, MB, GB or TB");
    };
    if (number > (Long.MAX_VALUE >> shift)) {
      throw new IllegalArgumentException("'" + text + "' is too large a byte size");
    }
    return number << shift;
  }
}

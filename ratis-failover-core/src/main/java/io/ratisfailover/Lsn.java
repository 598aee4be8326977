package io.ratisfailover;

/**
 * A position in the write-ahead log, as an unsigned byte offset. Printed and parsed in
 * PostgreSQL's {@code XXXXXXXX/XXXXXXXX} form.
 */
public record Lsn(long value) implements Comparable<Lsn> {
  public static final Lsn ZERO = new Lsn(0);

  public Lsn {
    if (value < 0) {
      throw new IllegalArgumentException("LSN must not be negative: " + value);
    }
  }

  public static Lsn of(long value) {
    return new Lsn(value);
  }

  /** Parses PostgreSQL's text form, for example {@code 0/3000060}. */
  public static Lsn parse(String text) {
    int slash = text == null ? -1 : text.indexOf('/');
    if (slash <= 0 || slash == text.length() - 1) {
      throw new IllegalArgumentException("LSN '" + text + "' is not of the form XXXXXXXX/XXXXXXXX");
    }
    try {
      long high = Long.parseLong(text.substring(0, slash), 16);
      long low = Long.parseLong(text.substring(slash + 1), 16);
      if (high > 0x7FFF_FFFFL || low > 0xFFFF_FFFFL) {
        throw new IllegalArgumentException("LSN '" + text + "' is out of range");
      }
      return new Lsn((high << 32) | low);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("LSN '" + text + "' is not of the form XXXXXXXX/XXXXXXXX", e);
    }
  }

  /** Bytes from {@code other} up to this position; zero when {@code other} is ahead. */
  public long bytesAfter(Lsn other) {
    return Math.max(0, value - other.value);
  }

  public boolean isBefore(Lsn other) {
    return value < other.value;
  }

  public static Lsn max(Lsn a, Lsn b) {
    return a.value >= b.value ? a : b;
  }

  @Override
  public int compareTo(Lsn other) {
    return Long.compare(value, other.value);
  }

  @Override
  public String toString() {
    return String.format("%X/%X", value >>> 32, value & 0xFFFF_FFFFL);
  }
}

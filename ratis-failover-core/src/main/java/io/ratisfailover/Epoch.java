package io.ratisfailover;

/**
 * The fencing token: it grows by exactly one at every change of primary. Epoch 0 means the
 * cluster has never had a primary.
 */
public record Epoch(long value) implements Comparable<Epoch> {
  public static final Epoch ZERO = new Epoch(0);

  public Epoch {
    if (value < 0) {
      throw new IllegalArgumentException("epoch must not be negative: " + value);
    }
  }

  public static Epoch of(long value) {
    return new Epoch(value);
  }

  public Epoch next() {
    return new Epoch(Math.addExact(value, 1));
  }

  public boolean isAfter(Epoch other) {
    return value > other.value;
  }

  @Override
  public int compareTo(Epoch other) {
    return Long.compare(value, other.value);
  }

  @Override
  public String toString() {
    return Long.toString(value);
  }
}

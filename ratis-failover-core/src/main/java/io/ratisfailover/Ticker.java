package io.ratisfailover;

/**
 * A monotonic clock in nanoseconds, with the semantics of {@link System#nanoTime()}: only
 * differences mean anything. Leases and timeouts are measured on it; tests inject a manual one.
 */
@FunctionalInterface
public interface Ticker {
  long nanoTime();

  /** The JVM's monotonic clock. */
  static Ticker system() {
    return System::nanoTime;
  }
}

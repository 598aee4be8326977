package io.ratisfailover.harness.chaos;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Polls a condition against a deadline: the chaos harness never sleeps for a fixed time to let things happen. */
final class Poll {
  private static final long EVERY_NANOS = Duration.ofMillis(10).toNanos();

  private Poll() {}

  /** Whether {@code condition} came to hold within {@code timeout}. */
  static boolean until(BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      LockSupport.parkNanos(EVERY_NANOS);
    }
    return true;
  }
}

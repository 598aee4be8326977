package io.ratisfailover.testing;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polls a condition against a deadline; tests never sleep for a fixed time. */
public final class Await {
  private static final long POLL_NANOS = Duration.ofMillis(10).toNanos();

  private Await() {}

  /** Waits until {@code condition} holds; fails with {@code what} and the last {@code state} on timeout. */
  public static void until(String what, Duration timeout, BooleanSupplier condition, Supplier<String> state) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what + "; " + state.get());
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }

  public static void until(String what, Duration timeout, BooleanSupplier condition) {
    until(what, timeout, condition, () -> "");
  }

  /** Checks that {@code condition} keeps holding for {@code period}; fails with {@code what} the first time it does not. */
  public static void holds(String what, Duration period, BooleanSupplier condition) {
    long end = System.nanoTime() + period.toNanos();
    do {
      if (!condition.getAsBoolean()) {
        throw new AssertionError("expected " + what + " for " + period.toMillis() + " ms, but it stopped holding");
      }
      LockSupport.parkNanos(POLL_NANOS);
    } while (System.nanoTime() - end < 0);
  }

  /** Waits until {@code supplier} returns a non-null value, and returns it. */
  public static <T> T value(String what, Duration timeout, Supplier<T> supplier) {
    Object[] holder = new Object[1];
    until(what, timeout, () -> (holder[0] = supplier.get()) != null);
    @SuppressWarnings("unchecked")
    T t = (T) holder[0];
    return t;
  }
}

package io.ratisfailover.probe;

import io.ratisfailover.Epoch;
import java.time.Duration;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Keeps {@code /primary} at 503 for a while after this member starts serving as primary, so that a
 * router polling with {@code fall N} has marked the previous primary down before it marks this one
 * up. Without it, a planned switchover (where the old primary stops answering 200 only a moment
 * before the new one starts) leaves HAProxy listing both servers UP until the old one has failed
 * {@code fall} checks: no write reaches the old primary, which is fenced, but the router briefly
 * routes new connections to it and its state shows two servers UP.
 *
 * <p>The time counts from when the probe first sees this member serving in an epoch (the probe
 * looks every {@link #TICK} as well as on each request), which is after the previous primary
 * stopped: the lease protocol orders the two. Opt-in: it lengthens every change of primary by the
 * hold-off.
 */
final class PrimaryHoldOff {
  static final Duration TICK = Duration.ofMillis(50);

  private final long holdOffNanos;
  private final LongSupplier ticker;
  private Optional<Epoch> servingIn = Optional.empty();
  private long servingSince;

  PrimaryHoldOff(Duration holdOff, LongSupplier ticker) {
    this.holdOffNanos = holdOff.toNanos();
    this.ticker = ticker;
  }

  boolean enabled() {
    return holdOffNanos > 0;
  }

  /** How much longer {@code /primary} must answer 503, given whether the member serves now and in which epoch. */
  synchronized Duration remaining(boolean serving, Epoch epoch) {
    if (!enabled()) {
      return Duration.ZERO;
    }
    long now = ticker.getAsLong();
    if (!serving) {
      servingIn = Optional.empty();
      return Duration.ZERO;
    }
    if (servingIn.filter(epoch::equals).isEmpty()) {
      servingIn = Optional.of(epoch);
      servingSince = now;
    }
    return Duration.ofNanos(Math.max(0, holdOffNanos - (now - servingSince)));
  }
}

package io.ratisfailover.probe;

import java.time.Duration;

/**
 * Keeps {@code /primary} at 503 on a new primary until the previous primary has been silent on
 * {@code /primary} for {@code primary_hold_off}, so that a router polling with {@code fall N} has
 * marked the previous primary down before it marks this one up. Without it, a planned switchover
 * (where the old primary stops answering 200 only a moment before the new one starts) leaves
 * HAProxy listing both servers UP until the old one has failed {@code fall} checks: no write
 * reaches the old primary, which is fenced, but the router briefly routes new connections to it.
 *
 * <p>The silence counts from a bound the arbiter knows when it elects (see
 * {@link io.ratisfailover.LocalView#predecessorSilent()}): the moment the old primary released, in
 * a switchover, so the whole hold-off applies; the end of its lease, in a crash, so the lease wait
 * has already spent part or all of it. Opt-in.
 */
final class PrimaryHoldOff {
  private final Duration holdOff;

  PrimaryHoldOff(Duration holdOff) {
    this.holdOff = holdOff;
  }

  /**
   * How much longer {@code /primary} must answer 503, given whether the member serves now and for
   * how long the previous primary has at least been silent.
   */
  Duration remaining(boolean serving, Duration predecessorSilent) {
    if (!serving || predecessorSilent.compareTo(holdOff) >= 0) {
      return Duration.ZERO;
    }
    return holdOff.minus(predecessorSilent);
  }
}

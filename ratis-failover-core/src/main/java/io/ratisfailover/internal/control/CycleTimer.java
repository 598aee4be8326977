package io.ratisfailover.internal.control;

import io.ratisfailover.Ticker;
import java.time.Duration;

/**
 * When the member's decision cycle runs: at once when an event asks (never queued twice), else at
 * the time the last cycle named, never sooner than a millisecond from the timer. Remembers when the
 * last cycle ended and how long it took, which is how liveness checks see a stuck loop. Loop thread
 * only.
 */
final class CycleTimer {
  private static final long FLOOR_NANOS = 1_000_000;

  private final Loop loop;
  private final Ticker ticker;
  private final Runnable cycle;
  private boolean requested;
  private boolean stopped;
  private Loop.Cancellable wakeUp;
  private long wakeAt;
  private long lastEndedAt;
  private long lastNanos;

  CycleTimer(Loop loop, Ticker ticker, Runnable cycle, long now) {
    this.loop = loop;
    this.ticker = ticker;
    this.cycle = cycle;
    this.lastEndedAt = now; // start-up counts as a cycle
  }

  /** An event wants a decision: one cycle is queued, however many ask before it runs. */
  void request() {
    if (!requested && !stopped) {
      requested = true;
      loop.execute(cycle);
    }
  }

  /** The cycle begins: later requests queue another. */
  void began() {
    requested = false;
  }

  /** The cycle that began at {@code startedAt} ended and wants the next one at {@code at}. */
  void ended(long startedAt, long at) {
    lastEndedAt = ticker.nanoTime();
    lastNanos = lastEndedAt - startedAt;
    wakeAt(at);
  }

  private void wakeAt(long at) {
    long now = ticker.nanoTime();
    long target = Ticks.later(at, now + FLOOR_NANOS);
    if (wakeUp != null && wakeAt == target) {
      return;
    }
    if (wakeUp != null) {
      wakeUp.cancel();
    }
    wakeAt = target;
    wakeUp = loop.schedule(Duration.ofNanos(target - now), () -> {
      wakeUp = null;
      cycle.run();
    });
  }

  void stop() {
    stopped = true;
    if (wakeUp != null) {
      wakeUp.cancel();
    }
  }

  long lastEndedAt() {
    return lastEndedAt;
  }

  long lastNanos() {
    return lastNanos;
  }
}

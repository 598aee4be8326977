package io.ratisfailover.internal.control;

import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * The single thread a member's agent and arbiter run on. Every event (applied entries, replies,
 * database results, timers) is handed to it; nothing else touches the runtime's state.
 */
public interface Loop extends Executor {

  /** Runs {@code task} on the loop after {@code delay}. */
  Cancellable schedule(Duration delay, Runnable task);

  /** Whether the caller runs on the loop, for assertions. */
  boolean inLoop();

  /** A scheduled task that can be called off. */
  @FunctionalInterface
  interface Cancellable {
    void cancel();
  }
}

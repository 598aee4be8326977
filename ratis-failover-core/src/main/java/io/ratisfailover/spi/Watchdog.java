package io.ratisfailover.spi;

import java.io.IOException;
import java.time.Duration;

/**
 * A hardware or kernel watchdog that resets the host when the agent stops keeping it alive, so that
 * a hung agent (long GC pause, SIGSTOP) cannot leave a writable primary behind its lapsed lease.
 * The agent arms it when it becomes primary, keeps it alive after each successful renewal, and
 * disarms it when it stops being primary.
 */
public interface Watchdog extends AutoCloseable {

  /** Starts the countdown: the host resets unless {@link #keepAlive()} is called within {@code timeout}. */
  void arm(Duration timeout) throws IOException;

  void keepAlive() throws IOException;

  void disarm() throws IOException;

  @Override
  default void close() throws IOException {
    disarm();
  }

  /** No watchdog: a paused agent cannot fence its database; synchronous mode bounds the damage. */
  Watchdog NONE = new Watchdog() {
    @Override public void arm(Duration timeout) {}
    @Override public void keepAlive() {}
    @Override public void disarm() {}
  };
}

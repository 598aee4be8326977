package io.ratisfailover.spi;

import java.io.IOException;
import java.time.Duration;

/**
 * Fences the local database (or resets the host) when the agent stops keeping it alive, so that a
 * dead or frozen agent (kill -9, OOM, SIGSTOP, a long GC pause) cannot leave a writable primary
 * behind its lapsed lease.
 *
 * <p>The agent arms it when it becomes primary with a lease, keeps it alive after each successful
 * renewal and disarms it when it stops being primary. Every deadline is the <em>lease's</em> end:
 * {@code remaining} is the lease expiry minus now on the agent's ticker, so a renewal whose answer
 * came late moves the deadline less far (the lease runs from when the renewal was sent, not from
 * when its answer arrived). An implementation must act no later than {@code remaining} after the
 * call; acting earlier is safe, later is not.
 *
 * <p>Called on the agent's loop thread: calls must not block (a pipe write, a device write).
 * Calls are idempotent in the sense that arming an armed watchdog only moves its deadline.
 */
public interface Watchdog extends AutoCloseable {

  /** Starts the countdown: the watchdog fires unless {@link #keepAlive} comes within {@code remaining}. */
  void arm(Duration remaining) throws IOException;

  /** Moves the deadline to {@code remaining} from now (the renewed lease's end). */
  void keepAlive(Duration remaining) throws IOException;

  /** Stops the countdown: the agent itself fences from now on, or has nothing to fence. */
  void disarm() throws IOException;

  @Override
  default void close() throws IOException {
    disarm();
  }

  /** No watchdog: a paused agent cannot fence its database; synchronous mode bounds the damage. */
  Watchdog NONE = new Watchdog() {
    @Override public void arm(Duration remaining) {}
    @Override public void keepAlive(Duration remaining) {}
    @Override public void disarm() {}
  };
}

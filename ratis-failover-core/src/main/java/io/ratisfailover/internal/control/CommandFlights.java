package io.ratisfailover.internal.control;

import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.Command;
import java.time.Duration;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;

/**
 * The runtime's commands in flight, at most one of each kind, on the loop: a kind takes off when
 * its command is sent and lands when the answer is in, when rpc_timeout passes without one, or,
 * for an answered command this member has not applied yet, when it applies it (so that it is not
 * sent again before its effect is visible here). A command that failed lands only when its
 * rpc_timeout has passed.
 */
final class CommandFlights {
  /** The kinds of commands the runtime sends, one of each in flight at a time. */
  enum Flight { RENEW, REPORT, RELEASE, RECORD, SYNC, ARBITER, BOOTSTRAP }

  private final Submitter submitter;
  private final Loop loop;
  private final Duration rpcTimeout;
  private final LongSupplier appliedIndex;
  private final Runnable requestCycle;
  private final EnumSet<Flight> inFlight = EnumSet.noneOf(Flight.class);
  /** Answered commands whose effect this member has not applied yet: not to be sent again until it has. */
  private final Map<Flight, Long> awaitingApply = new EnumMap<>(Flight.class);

  /**
   * @param appliedIndex the last log index this member applied
   * @param requestCycle asks the runtime for a cycle, after every answer or timeout
   */
  CommandFlights(Submitter submitter, Loop loop, Duration rpcTimeout, LongSupplier appliedIndex, Runnable requestCycle) {
    this.submitter = submitter;
    this.loop = loop;
    this.rpcTimeout = rpcTimeout;
    this.appliedIndex = appliedIndex;
    this.requestCycle = requestCycle;
  }

  /** Whether {@code flight} may take off now (none of its kind in flight); if so, it is in flight from here. */
  boolean takeOff(Flight flight) {
    return inFlight.add(flight);
  }

  void landed(Flight flight) {
    inFlight.remove(flight);
  }

  /** Lands the answered flights whose commands this member has now applied (up to {@code index}). */
  void applied(long index) {
    awaitingApply.entrySet().removeIf(e -> {
      if (e.getValue() <= index) {
        inFlight.remove(e.getKey());
        return true;
      }
      return false;
    });
  }

  /**
   * Sends {@code command}; {@code then} runs on the loop with the result or the error, once.
   *
   * @return the command's sequence number
   */
  long submit(Command command, BiConsumer<ApplyResult, Throwable> then, Flight flight) {
    Submitter.Sent sent = submitter.send(command);
    CompletableFuture<ApplyResult> future = sent.result();
    AtomicBoolean delivered = new AtomicBoolean();
    AtomicBoolean failed = new AtomicBoolean();
    Loop.Cancellable timer = loop.schedule(rpcTimeout, () -> {
      if (delivered.compareAndSet(false, true)) {
        inFlight.remove(flight);
        then.accept(null, new TimeoutException("no answer within rpc_timeout " + rpcTimeout.toMillis() + " ms"));
        requestCycle.run();
      } else if (failed.get()) {
        inFlight.remove(flight);
        requestCycle.run();
      }
    });
    future.whenComplete((result, error) -> loop.execute(() -> {
      if (delivered.compareAndSet(false, true)) {
        if (error != null) {
          // Landed by the timer: a command that fails at once (the Raft client's queue is full, the
          // client was just replaced) is sent again after rpc_timeout, not in a loop as fast as it fails.
          failed.set(true);
          then.accept(null, error);
          return;
        }
        timer.cancel();
        if (result.index() > appliedIndex.getAsLong() && flight != Flight.REPORT) {
          awaitingApply.put(flight, result.index());
        } else {
          inFlight.remove(flight);
        }
        then.accept(result, null);
        requestCycle.run();
      }
    }));
    return sent.seq();
  }

  /** A failed command's error in one line, unwrapped from the future that carried it. */
  static String describe(Throwable error) {
    Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
        ? error.getCause() : error;
    return cause.getClass().getSimpleName() + ": " + cause.getMessage();
  }
}

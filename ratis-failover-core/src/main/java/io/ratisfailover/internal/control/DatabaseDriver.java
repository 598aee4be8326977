package io.ratisfailover.internal.control;

import io.ratisfailover.Epoch;
import io.ratisfailover.spi.DatabaseAdapter;
import io.ratisfailover.spi.DatabaseEvents;
import io.ratisfailover.spi.DatabaseException;
import io.ratisfailover.spi.FenceMode;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Runs blocking {@link DatabaseAdapter} calls off the loop, one at a time on the operation lane
 * and fences on their own lane, and hands each result back to the loop exactly once: the
 * adapter's answer or, if it takes longer than its timeout, a {@link TimeoutException}. A call
 * that timed out still occupies its lane until the adapter returns; meanwhile new calls on that
 * lane are refused at once rather than queued behind a hung server.
 */
final class DatabaseDriver {
  private final DatabaseAdapter adapter;
  private final Executor operationLane;
  private final Executor fenceLane;
  private final Loop loop;
  private final Runnable laneFreed;
  private final io.ratisfailover.Ticker ticker;
  private final AtomicReference<String> operationBusy = new AtomicReference<>();
  private volatile long operationStartedAt;
  private final AtomicReference<String> fenceBusy = new AtomicReference<>();

  /** A blocking adapter call. */
  @FunctionalInterface
  interface Call<T> {
    T run(DatabaseAdapter adapter) throws DatabaseException;
  }

  /** What a call produced: a value or an error (adapter failure, timeout, busy lane). */
  record Outcome<T>(T value, Throwable error) {
    boolean ok() {
      return error == null;
    }

    String describe() {
      if (error == null) {
        return "ok";
      }
      return error instanceof TimeoutException ? "timed out" : String.valueOf(error.getMessage());
    }
  }

  /** The lane is still occupied by an earlier call. */
  static final class LaneBusyException extends Exception {
    private static final long serialVersionUID = 1L;

    LaneBusyException(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * @param laneFreed run on the loop whenever a lane becomes free, so the runtime can go on
   */
  DatabaseDriver(DatabaseAdapter adapter, Executor operationLane, Executor fenceLane, Loop loop,
      io.ratisfailover.Ticker ticker, Runnable laneFreed) {
    this.adapter = adapter;
    this.ticker = ticker;
    this.operationLane = operationLane;
    this.fenceLane = fenceLane;
    this.loop = loop;
    this.laneFreed = laneFreed;
  }

  /**
   * Tells the adapter whom to ask: a status change polls at once, on the loop; whether the database
   * may become writable is asked on the adapter's thread, right before it does.
   */
  void attach(Runnable statusMayHaveChanged, Predicate<Epoch> mayBecomeWritable) {
    adapter.attach(new DatabaseEvents() {
      @Override
      public void statusMayHaveChanged() {
        loop.execute(statusMayHaveChanged);
      }

      @Override
      public boolean mayBecomeWritable(Epoch epoch) {
        return mayBecomeWritable.test(epoch);
      }
    });
  }

  DatabaseAdapter adapter() {
    return adapter;
  }

  /** The operation occupying the operation lane, or null. */
  String operationInProgress() {
    return operationBusy.get();
  }

  /** Nanoseconds the current operation has been running; meaningful only while one is. */
  long operationRunningFor() {
    return ticker.nanoTime() - operationStartedAt;
  }

  <T> void run(String name, Duration timeout, Call<T> call, Consumer<Outcome<T>> onLoop) {
    if (operationBusy.get() == null) {
      operationStartedAt = ticker.nanoTime();
    }
    submit(operationLane, operationBusy, name, timeout, call, onLoop);
  }

  void fence(FenceMode mode, Duration timeout, Consumer<Outcome<Void>> onLoop) {
    submit(fenceLane, fenceBusy, "fence " + mode, timeout, a -> {
      a.fence(mode);
      return null;
    }, onLoop);
  }

  private <T> void submit(Executor lane, AtomicReference<String> busy, String name, Duration timeout, Call<T> call,
      Consumer<Outcome<T>> onLoop) {
    if (!busy.compareAndSet(null, name)) {
      Outcome<T> refused = new Outcome<>(null, new LaneBusyException("database is still busy with " + busy.get()));
      loop.execute(() -> onLoop.accept(refused));
      return;
    }
    AtomicBoolean delivered = new AtomicBoolean();
    Loop.Cancellable timer = loop.schedule(timeout, () -> {
      if (delivered.compareAndSet(false, true)) {
        onLoop.accept(new Outcome<>(null, new TimeoutException(name + " took longer than " + timeout.toMillis() + " ms")));
      }
    });
    lane.execute(() -> {
      Outcome<T> outcome;
      try {
        outcome = new Outcome<>(call.run(adapter), null);
      } catch (DatabaseException | RuntimeException e) {
        outcome = new Outcome<>(null, e);
      } finally {
        busy.set(null);
      }
      Outcome<T> result = outcome;
      loop.execute(() -> {
        if (delivered.compareAndSet(false, true)) {
          timer.cancel();
          onLoop.accept(result);
        }
        laneFreed.run();
      });
    });
  }
}

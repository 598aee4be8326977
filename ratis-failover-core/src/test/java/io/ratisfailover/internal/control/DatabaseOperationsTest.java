package io.ratisfailover.internal.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.Epoch;
import io.ratisfailover.MemberId;
import io.ratisfailover.Ticker;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.spi.Fencer;
import io.ratisfailover.spi.PrimaryTopology;
import io.ratisfailover.testing.InMemoryDatabase;
import io.ratisfailover.testing.InMemoryDatabases;
import io.ratisfailover.spi.DatabaseAdapter;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** What the operations tell the agent: the backoff after failures, and whether a writable one runs. */
class DatabaseOperationsTest {
  private static final MemberId PG1 = MemberId.of("pg1");
  private final Timing timing = Timing.defaults();
  private final AtomicLong now = new AtomicLong();
  private final Ticker ticker = now::get;
  private final InMemoryDatabase database = new InMemoryDatabases().create(PG1);
  private final AtomicInteger finished = new AtomicInteger();
  private final DatabaseOperations operations = new DatabaseOperations(PG1, timing, ticker,
      new DatabaseDriver(database, Runnable::run, Runnable::run, new ImmediateLoop(), ticker, () -> { }),
      Fencer.NONE, epoch -> true, () -> { }, () -> { }, finished::incrementAndGet);

  /**
   * A standby that could not follow for a while (its upstream down) backed off to 30 s between
   * tries, and that backoff also held back what a new epoch asked of it: following the new primary,
   * or promoting and configuring itself as the primary it had become. Seen in a benchmark run: the
   * restarted old primary, unable to follow a primary whose server was down, retried every 30 s.
   */
  @Test
  void aNewEpochIsNotHeldBackByTheBackoffOfTheLastOnesFailures() {
    ClusterState epoch1 = ClusterState.EMPTY.toBuilder().epoch(Epoch.of(1)).build();
    Agent.Operation follow = new Agent.Operation.StartReplica(Optional.empty());
    for (int attempt = 1; attempt <= 8; attempt++) {
      database.failNextOperation("upstream down");
      operations.operate(follow, epoch1, null, Optional.empty());
      now.addAndGet(Duration.ofSeconds(30).toNanos());
    }
    assertThat(finished.get()).isEqualTo(8);

    // One more failure: in the same epoch, the next operation waits out the backoff, whichever it is
    // (operations that fail in turn must not retry as fast as they fail).
    database.failNextOperation("upstream down");
    operations.operate(follow, epoch1, null, Optional.empty());
    now.addAndGet(Duration.ofSeconds(1).toNanos());
    operations.operate(follow, epoch1, null, Optional.empty());
    Agent.Operation configure = new Agent.Operation.ConfigurePrimary(
        new PrimaryTopology(Epoch.of(1), Set.of(), Set.of(), false, 0));
    operations.operate(configure, epoch1, null, Optional.empty());
    assertThat(finished.get()).isEqualTo(9);

    // A new epoch: tried at once, and its own failures start the backoff over at loop_wait.
    ClusterState epoch2 = epoch1.toBuilder().epoch(Epoch.of(2)).build();
    database.failNextOperation("upstream still down");
    operations.operate(follow, epoch2, null, Optional.empty());
    assertThat(finished.get()).isEqualTo(10);
    now.addAndGet(timing.loopWait().toNanos());
    operations.operate(follow, epoch2, null, Optional.empty());
    assertThat(finished.get()).isEqualTo(11);
  }

  /**
   * Status polls run on the operation lane too. After a promotion, a poll in flight counted as a
   * writable operation running, so the switchover of a primary that was polling its database skipped
   * its drain and stopped at once (seen in the switchover benchmark: drains of 15 to 170 ms of 250).
   */
  @Test
  void aStatusPollIsNotAWritableOperation() {
    Deque<Runnable> lane = new ArrayDeque<>();
    DatabaseDriver driver = new DatabaseDriver(database, lane::add, Runnable::run, new ImmediateLoop(), ticker, () -> { });
    DatabaseOperations queued = new DatabaseOperations(PG1, timing, ticker, driver, Fencer.NONE, epoch -> true,
        () -> { }, () -> { }, () -> { });
    ClusterState epoch1 = ClusterState.EMPTY.toBuilder().epoch(Epoch.of(1)).primary(Optional.of(PG1)).build();

    queued.operate(new Agent.Operation.StartPrimary(new PrimaryTopology(Epoch.of(1), Set.of(), Set.of(), false, 0)),
        epoch1, Lease.until(Epoch.of(1), Duration.ofMinutes(1).toNanos()), Optional.empty());
    assertThat(queued.writableOperationRunning()).isTrue();
    lane.poll().run();
    assertThat(queued.writableOperationRunning()).isFalse();

    driver.run("status", timing.statusTimeout(), DatabaseAdapter::status, outcome -> { });
    assertThat(driver.operationInProgress()).isEqualTo("status");
    assertThat(queued.writableOperationRunning()).isFalse();
  }

  /** Runs everything at once, on the caller's thread; timers never fire (calls complete before). */
  private static final class ImmediateLoop implements Loop {
    @Override
    public void execute(Runnable task) {
      task.run();
    }

    @Override
    public Cancellable schedule(Duration delay, Runnable task) {
      return () -> { };
    }

    @Override
    public boolean inLoop() {
      return true;
    }
  }
}

package io.ratisfailover.internal.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.Epoch;
import io.ratisfailover.MemberId;
import io.ratisfailover.internal.control.CommandFlights.Flight;
import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Request;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * One command of each kind in flight, and how often a kind is sent again. A command the Raft client
 * refuses at once (its queue of requests waiting for a leader is full) used to land at once and ask
 * for the next cycle, which sent it again: a member without a Raft leader sent its release a thousand
 * times a second (the fleet benchmark at 30 clusters, 379,028 lines in five minutes).
 */
class CommandFlightsTest {
  static final Duration RPC_TIMEOUT = Duration.ofMillis(500);

  final ManualLoop loop = new ManualLoop();
  final List<Throwable> errors = new ArrayList<>();
  int cycles;

  @Test
  void aCommandRefusedAtOnceIsNotSentAgainBeforeRpcTimeout() {
    CommandFlights flights = flights(r -> CompletableFuture.failedFuture(new IOException("16 requests are still waiting")));
    send(flights);

    assertThat(errors).singleElement().isInstanceOf(IOException.class);
    assertThat(flights.takeOff(Flight.RELEASE)).as("in flight until rpc_timeout").isFalse();
    assertThat(cycles).as("no cycle asked for").isZero();
    loop.advance(RPC_TIMEOUT.minusMillis(1));
    assertThat(flights.takeOff(Flight.RELEASE)).isFalse();
    loop.advance(Duration.ofMillis(1));
    assertThat(cycles).isEqualTo(1);
    assertThat(flights.takeOff(Flight.RELEASE)).isTrue();
    assertThat(errors).hasSize(1);
  }

  @Test
  void anAnsweredCommandLandsOnceThisMemberAppliedIt() {
    CommandFlights flights = flights(r -> CompletableFuture.completedFuture(
        new ApplyResult(7, Optional.empty(), "", Epoch.ZERO, Optional.empty())));
    send(flights);

    assertThat(errors).singleElement().isNull();
    assertThat(cycles).isEqualTo(1);
    assertThat(flights.takeOff(Flight.RELEASE)).as("applied at 7, not here yet").isFalse();
    flights.applied(7);
    assertThat(flights.takeOff(Flight.RELEASE)).isTrue();
    loop.advance(RPC_TIMEOUT);
    assertThat(cycles).as("the timer was called off").isEqualTo(1);
  }

  @Test
  void anUnansweredCommandLandsAfterRpcTimeout() {
    CommandFlights flights = flights(r -> new CompletableFuture<>());
    send(flights);

    assertThat(errors).isEmpty();
    loop.advance(RPC_TIMEOUT);
    assertThat(errors).singleElement().isInstanceOf(TimeoutException.class);
    assertThat(cycles).isEqualTo(1);
    assertThat(flights.takeOff(Flight.RELEASE)).isTrue();
  }

  private CommandFlights flights(Function<Request, CompletableFuture<ApplyResult>> answers) {
    Consensus consensus = new Consensus() {
      @Override
      public CompletableFuture<ApplyResult> send(Request request) {
        return answers.apply(request);
      }

      @Override
      public void placeLeaderAwayFrom(MemberId primary) {}
    };
    Submitter submitter = new Submitter(MemberId.of("pg1"), 1, Clock.fixed(Instant.EPOCH, ZoneOffset.UTC), consensus);
    return new CommandFlights(submitter, loop, RPC_TIMEOUT, () -> 0L, () -> cycles++);
  }

  private void send(CommandFlights flights) {
    assertThat(flights.takeOff(Flight.RELEASE)).isTrue();
    flights.submit(new Command.SetPause(true), (result, error) -> errors.add(error), Flight.RELEASE);
  }

  /** Runs tasks on the test's thread; scheduled ones when the test moves time past their due time. */
  static final class ManualLoop implements Loop {
    private record Due(long at, Runnable task, boolean[] cancelled) {}

    private final List<Due> scheduled = new ArrayList<>();
    private long now;

    @Override
    public void execute(Runnable task) {
      task.run();
    }

    @Override
    public Cancellable schedule(Duration delay, Runnable task) {
      Due due = new Due(now + delay.toNanos(), task, new boolean[1]);
      scheduled.add(due);
      return () -> due.cancelled()[0] = true;
    }

    @Override
    public boolean inLoop() {
      return true;
    }

    void advance(Duration d) {
      now += d.toNanos();
      List<Due> ready = scheduled.stream().filter(s -> s.at() <= now).toList();
      scheduled.removeAll(ready);
      ready.stream().filter(s -> !s.cancelled()[0]).forEach(s -> s.task().run());
    }
  }
}

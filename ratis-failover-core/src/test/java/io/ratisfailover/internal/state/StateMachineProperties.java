package io.ratisfailover.internal.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.Epoch;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.Tags;
import io.ratisfailover.spi.DatabaseStatus;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Any sequence of commands, from any member, with any epochs and indices — stale, duplicated,
 * reordered, hostile — leaves the state machine consistent: it never throws, epochs move on by
 * exactly one per applied election, the primary only changes with the epoch, and a snapshot
 * round-trips to the same state.
 */
class StateMachineProperties {
  record Step(String member, int kind, String target, int epochDelta, int indexDelta, long seq) {}

  @Property(tries = 300)
  void anyCommandSequenceKeepsTheStateConsistent(@ForAll("logs") List<Step> steps) {
    ClusterStateMachine rules = new ClusterStateMachine();
    ClusterState s = ClusterState.EMPTY;
    long index = 0;
    for (Step step : steps) {
      index++;
      Request request = new Request(new Origin(MemberId.of(step.member()), step.seq() % 3, step.seq(), index),
          command(step, s));
      Applied applied = rules.apply(s, request, index);
      ClusterState next = applied.state();
      boolean elected = applied.result().applied() && request.command() instanceof Command.Elect;
      assertThat(next.epoch().value()).isEqualTo(s.epoch().value() + (elected ? 1 : 0));
      if (!next.epoch().equals(s.epoch())) {
        assertThat(elected).isTrue();
      } else if (!next.primary().equals(s.primary())) {
        assertThat(next.primary()).as("the primary changes only by election or release").isEmpty();
        assertThat(request.command()).isInstanceOf(Command.Release.class);
      }
      if (!applied.result().applied()) {
        assertThat(next.epoch()).isEqualTo(s.epoch());
        assertThat(next.primary()).isEqualTo(s.primary());
        assertThat(next.lastRenewalIndex()).isEqualTo(s.lastRenewalIndex());
      }
      assertThat(Codec.decodeState(Codec.encode(next))).isEqualTo(next);
      assertThat(Codec.decodeRequest(Codec.encode(request))).isEqualTo(request);
      s = next;
    }
  }

  private static Command command(Step step, ClusterState s) {
    Epoch epoch = Epoch.of(Math.max(0, s.epoch().value() + step.epochDelta()));
    MemberId target = MemberId.of(step.target());
    long expected = Math.max(0, s.lastRenewalIndex() + step.indexDelta());
    switch (step.kind()) {
      case 0: return new Command.Bootstrap("orders", Story.PEERS, ClusterSettings.DEFAULT);
      case 1: return new Command.ReportStatus(Tags.DEFAULT, "", Map.of(), Optional.of(
          DatabaseStatus.replica(1, Lsn.of(step.seq()), Lsn.of(step.seq()), Optional.empty())), OptionalLong.empty());
      case 2: return new Command.Renew(epoch, 2500);
      case 3: return new Command.Release(epoch, Optional.empty(), "random");
      case 4: return new Command.Elect(target, epoch.next(), expected, HistoryEntry.Cause.LEASE_EXPIRED, "random");
      case 5: return new Command.RecordPromotion(epoch, 1 + step.seq() % 4, Lsn.of(step.seq()));
      case 6: return new Command.SetSynchronous(epoch, java.util.Set.of(target));
      case 7: return new Command.SetPause(step.seq() % 2 == 0);
      case 8: return new Command.RequestSwitchover(Optional.empty(), Optional.of(target), epoch, Optional.empty());
      default: return new Command.CancelSwitchover();
    }
  }

  @Provide
  Arbitrary<List<Step>> logs() {
    Arbitrary<String> member = Arbitraries.of("pg1", "pg2", "w1", "stranger");
    Arbitrary<Step> step = Combinators.combine(member, Arbitraries.integers().between(0, 9), member,
        Arbitraries.integers().between(-2, 1), Arbitraries.integers().between(-2, 1),
        Arbitraries.longs().between(0, 40)).as(Step::new);
    return step.list().ofMinSize(5).ofMaxSize(80);
  }
}

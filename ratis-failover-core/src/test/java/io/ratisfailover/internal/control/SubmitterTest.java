package io.ratisfailover.internal.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.MemberId;
import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.MemberRecord;
import io.ratisfailover.internal.state.Request;
import io.ratisfailover.internal.state.Story;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Incarnations only grow: a new agent process never sends under an incarnation the cluster has already moved past. */
class SubmitterTest {
  final List<Request> sent = new ArrayList<>();
  final Consensus log = new Consensus() {
    @Override
    public CompletableFuture<ApplyResult> send(Request request) {
      sent.add(request);
      return new CompletableFuture<>();
    }

    @Override
    public void placeLeaderAwayFrom(MemberId primary) {}
  };
  final Clock clock = Clock.fixed(Instant.EPOCH, ZoneOffset.UTC);

  @Test
  void aProcessMovesPastAHigherRecordedIncarnation() {
    ClusterState s = recorded(500, 3);
    Submitter submitter = new Submitter(MemberId.of("pg1"), 100, clock, log);
    submitter.observe(s);
    submitter.submit(new Command.SetPause(true));
    assertThat(sent.get(0).origin().incarnation()).isEqualTo(501);
    assertThat(submitter.sent(sent.get(0).origin())).isTrue();
  }

  @Test
  void aProcessStartedAtTheSameClockReadingAsTheLastMovesPastIt() {
    Submitter submitter = new Submitter(MemberId.of("pg1"), 500, clock, log);
    submitter.submit(new Command.SetPause(true));
    submitter.observe(recorded(500, 1)); // our own request applied: nothing to do
    submitter.observe(recorded(500, 9)); // a sequence number we never reached: an earlier process
    submitter.submit(new Command.SetPause(false));
    assertThat(sent).extracting(r -> r.origin().incarnation()).containsExactly(500L, 501L);
    assertThat(sent).extracting(r -> r.origin().seq()).containsExactly(1L, 2L);
  }

  private static ClusterState recorded(long incarnation, long seq) {
    ClusterState s = Story.of().bootstrap().state();
    MemberRecord m = s.members().get(MemberId.of("pg1"));
    return s.toBuilder().member(new MemberRecord(m.peer(), m.tags(), m.apiUrl(), m.attributes(), m.status(),
        m.statusIndex(), m.appliedIndex(), incarnation, seq)).build();
  }
}

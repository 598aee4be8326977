package io.ratisfailover.internal.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.MemberId;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.state.ClusterCa;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Story;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A member takes part only under the CA its cluster was bootstrapped with. */
class TrustTest {
  static final ClusterCa OURS = ClusterCa.of(new byte[] {1, 2, 3});
  static final ClusterCa THEIRS = ClusterCa.of(new byte[] {4, 5, 6});
  static final long SEC = 1_000_000_000L;

  @Test
  void aMemberWithAnotherCaOrNoneDoesNothingInAnAuthenticatedCluster() {
    ClusterState s = Story.of().bootstrap().state().toBuilder().ca(Optional.of(OURS)).build();
    assertThat(Trust.problem(s, Optional.of(OURS))).isEmpty();
    assertThat(Trust.problem(s, Optional.of(THEIRS))).hasValueSatisfying(why -> assertThat(why)
        .contains(OURS.toString()).contains(THEIRS.toString()).contains("doing nothing"));
    assertThat(Trust.problem(s, Optional.empty())).hasValueSatisfying(why -> assertThat(why).contains("no raft.tls"));
    Arbiter.Decision d = decide(s, Optional.of(THEIRS));
    assertThat(d.action()).isEmpty();
    assertThat(d.reason()).contains("doing nothing");
  }

  @Test
  void anUnauthenticatedClusterTakesEveryone() {
    ClusterState s = Story.of().bootstrap().state();
    assertThat(Trust.problem(s, Optional.of(OURS))).isEmpty();
    assertThat(Trust.problem(s, Optional.empty())).isEmpty();
  }

  private static Arbiter.Decision decide(ClusterState s, Optional<ClusterCa> ca) {
    return Arbiter.decide(new Arbiter.Input(s, MemberId.of("w1"), "orders",
        Timing.defaults(), 100 * SEC, 90 * SEC, 95 * SEC, Map.of(), ca));
  }
}

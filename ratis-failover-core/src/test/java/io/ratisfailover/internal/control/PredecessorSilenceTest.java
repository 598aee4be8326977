package io.ratisfailover.internal.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.Epoch;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PredecessorSilenceTest {
  private static final long MS = 1_000_000L;

  @Test
  void theSilenceAtTheElectionGrowsWithTheTimeSinceThisMemberAppliedIt() {
    PredecessorSilence s = new PredecessorSilence(Epoch.of(4), 10_000 * MS, Duration.ofMillis(450));
    assertThat(s.at(Epoch.of(4), 10_000 * MS, 0.0)).isEqualTo(Duration.ofMillis(450));
    assertThat(s.at(Epoch.of(4), 11_000 * MS, 0.0)).isEqualTo(Duration.ofMillis(1450));
    // This member's clock may run fast: count less than it shows.
    assertThat(s.at(Epoch.of(4), 11_010 * MS, 0.01)).isEqualTo(Duration.ofMillis(1450));
  }

  @Test
  void anotherEpochKnowsNothing() {
    PredecessorSilence s = new PredecessorSilence(Epoch.of(4), 0, Duration.ofSeconds(5));
    assertThat(s.at(Epoch.of(5), 10 * MS, 0.01)).isZero();
    assertThat(PredecessorSilence.NONE.at(Epoch.ZERO, 10 * MS, 0.01)).isZero();
  }
}

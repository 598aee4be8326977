package io.ratisfailover.internal.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.Epoch;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ServingSilenceTest {
  static final long MS = 1_000_000;
  static final Epoch ONE = Epoch.of(1);

  @Test
  void theSilenceCountsFromWhenTheLastSnapshotThatCouldServeWasReplaced() {
    ServingSilence silence = new ServingSilence();
    silence.published(true, ONE, 100 * MS);
    silence.published(true, ONE, 200 * MS);
    assertThat(silence.at(ONE, 250 * MS)).as("while it may serve").isZero();
    // Fencing: the snapshot of 200 ms could answer 200 until this one replaced it at 300 ms.
    silence.published(false, ONE, 300 * MS);
    silence.published(false, ONE, 400 * MS);
    assertThat(silence.at(ONE, 490 * MS)).isEqualTo(Duration.ofMillis(190));
  }

  @Test
  void aMemberThatNeverServedSinceItStartedKnowsNoSilence() {
    ServingSilence silence = new ServingSilence();
    silence.published(false, ONE, 100 * MS);
    assertThat(silence.at(ONE, 5_000 * MS)).as("an earlier run may have served until its lease ended").isZero();
  }

  /** Found by the quorum-commit property (H1): another primary answered in between. */
  @Test
  void aMemberReleasingAnEpochItNeverServedInKnowsNoSilence() {
    ServingSilence silence = new ServingSilence();
    silence.published(true, ONE, 100 * MS);
    silence.published(false, ONE, 200 * MS);
    silence.published(false, Epoch.of(3), 30_000 * MS);
    assertThat(silence.at(Epoch.of(3), 30_100 * MS)).isZero();
  }

  @Test
  void servingAgainEndsTheSilence() {
    ServingSilence silence = new ServingSilence();
    silence.published(true, ONE, 100 * MS);
    silence.published(false, ONE, 200 * MS);
    silence.published(true, ONE, 300 * MS);
    assertThat(silence.at(ONE, 350 * MS)).isZero();
    silence.published(false, ONE, 400 * MS);
    assertThat(silence.at(ONE, 450 * MS)).isEqualTo(Duration.ofMillis(50));
  }
}

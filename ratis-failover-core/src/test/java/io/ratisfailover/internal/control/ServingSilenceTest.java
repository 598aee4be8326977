package io.ratisfailover.internal.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ServingSilenceTest {
  static final long MS = 1_000_000;

  @Test
  void theSilenceCountsFromWhenTheLastSnapshotThatCouldServeWasReplaced() {
    ServingSilence silence = new ServingSilence();
    silence.published(true, 100 * MS);
    silence.published(true, 200 * MS);
    assertThat(silence.at(250 * MS)).as("while it may serve").isZero();
    // Fencing: the snapshot of 200 ms could answer 200 until this one replaced it at 300 ms.
    silence.published(false, 300 * MS);
    silence.published(false, 400 * MS);
    assertThat(silence.at(490 * MS)).isEqualTo(Duration.ofMillis(190));
  }

  @Test
  void aMemberThatNeverServedSinceItStartedKnowsNoSilence() {
    ServingSilence silence = new ServingSilence();
    silence.published(false, 100 * MS);
    assertThat(silence.at(5_000 * MS)).as("an earlier run may have served until its lease ended").isZero();
  }

  @Test
  void servingAgainEndsTheSilence() {
    ServingSilence silence = new ServingSilence();
    silence.published(true, 100 * MS);
    silence.published(false, 200 * MS);
    silence.published(true, 300 * MS);
    assertThat(silence.at(350 * MS)).isZero();
    silence.published(false, 400 * MS);
    assertThat(silence.at(450 * MS)).isEqualTo(Duration.ofMillis(50));
  }
}

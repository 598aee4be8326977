package io.ratisfailover.postgres.internal;

import static io.ratisfailover.postgres.internal.ControlData.Shutdown.CLEAN_PRIMARY;
import static io.ratisfailover.postgres.internal.ControlData.Shutdown.CRASHED_PRIMARY;
import static io.ratisfailover.postgres.internal.ControlData.Shutdown.STANDBY;
import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.Lsn;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DivergenceTest {
  /** Timeline 2 branched off timeline 1 at 0/3000100. */
  private static final Optional<TimelineHistory> TL2 = Optional.of(TimelineHistory.parse(2, "1\t0/3000100\tno recovery target specified\n"));

  private static Optional<Lsn> at(String lsn) {
    return Optional.of(Lsn.parse(lsn));
  }

  @Test
  void aCleanlyStoppedPrimaryWhoseCheckpointEndsAtTheBranchPointFollowsWithoutRewind() {
    var v = Divergence.decide(CLEAN_PRIMARY, 1, at("0/3000088"), 2, TL2, at("0/3000100"));
    assertThat(v.rewind()).isFalse();
    assertThat(v.reason()).contains("right after the shutdown checkpoint");
  }

  @Test
  void aCleanlyStoppedPrimaryThatWroteOnAfterTheBranchIsRewound() {
    assertThat(Divergence.decide(CLEAN_PRIMARY, 1, at("0/3000100"), 2, TL2, at("0/3000178")).rewind()).isTrue();
    assertThat(Divergence.decide(CLEAN_PRIMARY, 1, at("0/4000000"), 2, TL2, at("0/4000078")).rewind()).isTrue();
  }

  @Test
  void aCheckpointThatEndsElsewhereOrUnknownIsRewound() {
    assertThat(Divergence.decide(CLEAN_PRIMARY, 1, at("0/3000000"), 2, TL2, at("0/3000078")).rewind()).isTrue();
    assertThat(Divergence.decide(CLEAN_PRIMARY, 1, at("0/3000088"), 2, TL2, Optional.empty()).rewind()).isTrue();
  }

  @Test
  void aCrashedPrimaryAlwaysGoesThroughPgRewind() {
    assertThat(Divergence.decide(CRASHED_PRIMARY, 1, Optional.empty(), 2, TL2, Optional.empty()).rewind()).isTrue();
    assertThat(Divergence.decide(CRASHED_PRIMARY, 2, at("0/1"), 2, TL2, Optional.empty()).rewind()).isTrue();
  }

  @Test
  void aStandbyFollowsWhenItAppliedNothingPastTheBranchPoint() {
    assertThat(Divergence.decide(STANDBY, 1, at("0/3000100"), 2, TL2, Optional.empty()).rewind()).isFalse();
    assertThat(Divergence.decide(STANDBY, 1, at("0/2000000"), 2, TL2, Optional.empty()).rewind()).isFalse();
    assertThat(Divergence.decide(STANDBY, 1, at("0/3000101"), 2, TL2, Optional.empty()).rewind()).isTrue();
  }

  @Test
  void timelinesOutsideTheUpstreamsHistoryAreRewound() {
    assertThat(Divergence.decide(STANDBY, 3, at("0/1"), 2, TL2, Optional.empty()).rewind()).isTrue();
    var elsewhere = Optional.of(TimelineHistory.parse(3, "1\t0/3000100\tx\n2\t0/5000000\tx\n"));
    assertThat(Divergence.decide(STANDBY, 2, at("0/5000000"), 3, elsewhere, Optional.empty()).rewind()).isFalse();
    assertThat(Divergence.decide(STANDBY, 4, at("0/1"), 5, elsewhere, Optional.empty()).rewind()).isTrue();
  }

  @Test
  void theSameTimelineNeedsNoRewind() {
    assertThat(Divergence.decide(STANDBY, 2, at("0/9000000"), 2, TL2, Optional.empty()).rewind()).isFalse();
    assertThat(Divergence.decide(CLEAN_PRIMARY, 2, at("0/9000000"), 2, TL2, Optional.empty()).rewind()).isFalse();
  }
}

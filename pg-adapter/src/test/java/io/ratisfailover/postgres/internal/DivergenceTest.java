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
    var v = Divergence.decide(CLEAN_PRIMARY, 1, at("0/3000088"), Optional.empty(), 2, TL2, at("0/3000100"));
    assertThat(v.rewind()).isFalse();
    assertThat(v.reason()).contains("right after the shutdown checkpoint");
  }

  @Test
  void aCleanlyStoppedPrimaryThatWroteOnAfterTheBranchIsRewound() {
    assertThat(Divergence.decide(CLEAN_PRIMARY, 1, at("0/3000100"), Optional.empty(), 2, TL2, at("0/3000178")).rewind()).isTrue();
    assertThat(Divergence.decide(CLEAN_PRIMARY, 1, at("0/4000000"), Optional.empty(), 2, TL2, at("0/4000078")).rewind()).isTrue();
  }

  @Test
  void aCheckpointThatEndsElsewhereOrUnknownIsRewound() {
    assertThat(Divergence.decide(CLEAN_PRIMARY, 1, at("0/3000000"), Optional.empty(), 2, TL2, at("0/3000078")).rewind()).isTrue();
    assertThat(Divergence.decide(CLEAN_PRIMARY, 1, at("0/3000088"), Optional.empty(), 2, TL2, Optional.empty()).rewind()).isTrue();
  }

  @Test
  void aCrashedPrimaryAlwaysGoesThroughPgRewind() {
    assertThat(Divergence.decide(CRASHED_PRIMARY, 1, Optional.empty(), Optional.empty(), 2, TL2, Optional.empty()).rewind()).isTrue();
    assertThat(Divergence.decide(CRASHED_PRIMARY, 2, at("0/1"), Optional.empty(), 2, TL2, Optional.empty()).rewind()).isTrue();
  }

  @Test
  void aStandbyFollowsWhenItAppliedNothingPastTheBranchPoint() {
    assertThat(Divergence.decide(STANDBY, 1, at("0/3000100"), Optional.empty(), 2, TL2, Optional.empty()).rewind()).isFalse();
    assertThat(Divergence.decide(STANDBY, 1, at("0/2000000"), Optional.empty(), 2, TL2, Optional.empty()).rewind()).isFalse();
    assertThat(Divergence.decide(STANDBY, 1, at("0/3000101"), Optional.empty(), 2, TL2, Optional.empty()).rewind()).isTrue();
  }

  @Test
  void timelinesOutsideTheUpstreamsHistoryAreRewound() {
    assertThat(Divergence.decide(STANDBY, 3, at("0/1"), Optional.empty(), 2, TL2, Optional.empty()).rewind()).isTrue();
    var elsewhere = Optional.of(TimelineHistory.parse(3, "1\t0/3000100\tx\n2\t0/5000000\tx\n"));
    assertThat(Divergence.decide(STANDBY, 2, at("0/5000000"), Optional.empty(), 3, elsewhere, Optional.empty()).rewind()).isFalse();
    assertThat(Divergence.decide(STANDBY, 4, at("0/1"), Optional.empty(), 5, elsewhere, Optional.empty()).rewind()).isTrue();
  }

  @Test
  void theSameTimelineNeedsNoRewind() {
    assertThat(Divergence.decide(STANDBY, 2, at("0/9000000"), Optional.empty(), 2, TL2, Optional.empty()).rewind()).isFalse();
    assertThat(Divergence.decide(CLEAN_PRIMARY, 2, at("0/9000000"), TL2, 2, TL2, Optional.empty()).rewind()).isFalse();
  }

  /** Two servers promoted from timeline 1 at different points both call their new timeline 2 (chaos seed 661888). */
  @Test
  void aTimelineOfTheSameNumberButAnotherHistoryIsRecloned() {
    var otherTwo = Optional.of(TimelineHistory.parse(2, "1\t0/3000200\tno recovery target specified\n"));
    var v = Divergence.decide(CLEAN_PRIMARY, 2, at("0/9000000"), otherTwo, 2, TL2, Optional.empty());
    assertThat(v.action()).isEqualTo(Divergence.Action.RECLONE);
    assertThat(v.reason()).contains("branched off 1 at 0/3000200").contains("branched off 1 at 0/3000100");
  }

  @Test
  void anAncestorTimelineOfTheSameNumberButAnotherHistoryIsRewound() {
    var three = Optional.of(TimelineHistory.parse(3, "1\t0/3000100\tx\n2\t0/5000000\tx\n"));
    var otherTwo = Optional.of(TimelineHistory.parse(2, "1\t0/3000200\tx\n"));
    // Its position alone is before timeline 2's end in the upstream's history: without the ancestry, it would follow.
    assertThat(Divergence.decide(STANDBY, 2, at("0/4000000"), otherTwo, 3, three, Optional.empty()).action())
        .isEqualTo(Divergence.Action.REWIND);
    assertThat(Divergence.decide(STANDBY, 2, at("0/4000000"), TL2, 3, three, Optional.empty()).action())
        .isEqualTo(Divergence.Action.FOLLOW);
  }
}

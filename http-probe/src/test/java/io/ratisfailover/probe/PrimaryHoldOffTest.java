package io.ratisfailover.probe;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.Epoch;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PrimaryHoldOffTest {
  private final AtomicLong now = new AtomicLong(-5_000_000_000L);
  private final PrimaryHoldOff holdOff = new PrimaryHoldOff(Duration.ofSeconds(2), now::get);

  private void advance(long millis) {
    now.addAndGet(millis * 1_000_000);
  }

  @Test
  void aNewPrimaryIsHeldFromWhenItWasFirstSeenServing() {
    assertThat(holdOff.remaining(false, Epoch.of(3))).isZero();
    assertThat(holdOff.remaining(true, Epoch.of(4))).isEqualTo(Duration.ofSeconds(2));
    advance(1500);
    assertThat(holdOff.remaining(true, Epoch.of(4))).isEqualTo(Duration.ofMillis(500));
    advance(500);
    assertThat(holdOff.remaining(true, Epoch.of(4))).isZero();
    advance(60_000);
    assertThat(holdOff.remaining(true, Epoch.of(4))).isZero();
  }

  @Test
  void servingAgainInANewEpochOrAfterAGapStartsAFreshHoldOff() {
    holdOff.remaining(true, Epoch.of(4));
    advance(3000);
    assertThat(holdOff.remaining(true, Epoch.of(6))).isEqualTo(Duration.ofSeconds(2));
    advance(3000);
    assertThat(holdOff.remaining(false, Epoch.of(6))).isZero();
    advance(100);
    assertThat(holdOff.remaining(true, Epoch.of(6))).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void zeroHoldOffNeverHolds() {
    PrimaryHoldOff none = new PrimaryHoldOff(Duration.ZERO, now::get);
    assertThat(none.enabled()).isFalse();
    assertThat(none.remaining(true, Epoch.of(1))).isZero();
  }
}

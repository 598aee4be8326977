package io.ratisfailover.probe;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PrimaryHoldOffTest {
  private final PrimaryHoldOff holdOff = new PrimaryHoldOff(Duration.ofSeconds(2));

  @Test
  void aSwitchoverKeepsWhatRemainsOfTheHoldOffAfterTheOldPrimaryReleased() {
    assertThat(holdOff.remaining(true, Duration.ZERO)).isEqualTo(Duration.ofSeconds(2));
    assertThat(holdOff.remaining(true, Duration.ofMillis(300))).isEqualTo(Duration.ofMillis(1700));
  }

  @Test
  void aCrashWhoseLeaseEndedLongEnoughAgoCostsNoHoldOff() {
    assertThat(holdOff.remaining(true, Duration.ofMillis(1500))).isEqualTo(Duration.ofMillis(500));
    assertThat(holdOff.remaining(true, Duration.ofSeconds(2))).isZero();
    assertThat(holdOff.remaining(true, Duration.ofSeconds(60))).isZero();
  }

  @Test
  void aMemberThatDoesNotServeIsNotHeld() {
    assertThat(holdOff.remaining(false, Duration.ZERO)).isZero();
  }

  @Test
  void zeroHoldOffNeverHolds() {
    assertThat(new PrimaryHoldOff(Duration.ZERO).remaining(true, Duration.ZERO)).isZero();
  }
}

package io.ratisfailover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TimingTest {
  @Test
  void theProfilesAreValid() {
    assertThat(Timing.defaults().leaseDuration()).isEqualTo(Duration.ofMillis(2500));
    assertThat(Timing.fast().build().ttl()).isEqualTo(Duration.ofMillis(1500));
    assertThat(Timing.conservative().build().ttl()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void aRenewalBudgetThatDoesNotFitTheTtlIsRefusedNamingTheFields() {
    assertThatThrownBy(() -> Timing.builder().loopWait(Duration.ofSeconds(2)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ttl (3000 ms) must exceed loop_wait + 2 x rpc_timeout + lease_margin (3500 ms)");
  }

  @Test
  void aMarginThatDoesNotCoverClockDriftIsRefused() {
    assertThatThrownBy(() -> Timing.builder().maxClockDrift(0.05).leaseMargin(Duration.ofMillis(100)).build())
        .hasMessageContaining("lease_margin (100 ms) must be at least 286 ms to cover max_clock_drift 0.05");
  }

  @Test
  void aRaftElectionMustFitInsideTheLease() {
    assertThatThrownBy(() -> Timing.builder().electionTimeoutMin(Duration.ofMillis(900))
        .electionTimeoutMax(Duration.ofMillis(1200)).build())
        .hasMessageContaining("election_timeout_max (1200 ms) is too long for the lease");
    assertThatThrownBy(() -> Timing.builder().electionTimeoutMin(Duration.ofMillis(50)).build())
        .hasMessageContaining("election_timeout_min (50 ms) must be at least 100 ms");
    assertThatThrownBy(() -> Timing.builder().electionTimeoutMax(Duration.ofMillis(300)).build())
        .hasMessageContaining("election_timeout_max (300 ms) must exceed election_timeout_min (300 ms)");
  }

  @Test
  void nonPositiveDurationsAndAbsurdDriftAreRefused() {
    assertThatThrownBy(() -> Timing.builder().rpcTimeout(Duration.ZERO).build()).hasMessageContaining("rpc_timeout must be a positive");
    assertThatThrownBy(() -> Timing.builder().statusTimeout(Duration.ofMillis(-1)).build()).hasMessageContaining("status_timeout");
    assertThatThrownBy(() -> Timing.builder().maxClockDrift(0.5).build()).hasMessageContaining("max_clock_drift");
  }

  @Test
  void theRequiredMarginGrowsWithDriftAndTtl() {
    assertThat(Timing.requiredDriftMargin(Duration.ofSeconds(3), 0.01).toMillis()).isEqualTo(59);
    assertThat(Timing.requiredDriftMargin(Duration.ofSeconds(3), 0)).isEqualTo(Duration.ZERO);
  }
}

package io.ratisfailover.harness.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** W1's judgement from probe windows, on made-up timelines (milliseconds from 0, no database). */
class W1CheckTest {
  private static final Duration BOUND = Duration.ofMillis(2_500);

  private static W1Check check(boolean requireGuard) {
    return new W1Check(null, 0, BOUND, requireGuard);
  }

  /** A probe every 50 ms from {@code from} to {@code to} (ms), each accepted or refused. */
  private static void probes(W1Check w1, String member, long from, long to, boolean accepted) {
    for (long t = from; t < to; t += 50) {
      w1.record(member, ms(t), ms(t + 5), accepted);
    }
  }

  private static long ms(long millis) {
    return Duration.ofMillis(millis).toNanos();
  }

  @Test
  void twoWritableServersWithEveryAgentRunningBreakW1() {
    W1Check w1 = check(false);
    probes(w1, "pg1", 0, 2_000, true);
    probes(w1, "pg2", 1_000, 3_000, true);
    assertThat(w1.violations()).singleElement().asString().contains("with every agent running");
  }

  @Test
  void aStoppedAgentsServerIsExcusedWithinTheBoundAndNeedsTheGuardPastIt() {
    W1Check w1 = check(false);
    probes(w1, "pg1", 0, 6_000, true);
    w1.agentStopped("pg1", Fault.Kind.KILL_AGENT, ms(1_000));
    probes(w1, "pg2", 2_000, 8_000, true);
    assertThat(w1.violations()).isEmpty();
    assertThat(w1.overlapsPastBound()).isEqualTo(1);
    assertThat(w1.longestWritableAfterStopMillis()).isBetween(4_900L, 5_100L);
    assertThat(check(true)).satisfies(required -> {
      probes(required, "pg1", 0, 6_000, true);
      required.agentStopped("pg1", Fault.Kind.KILL_AGENT, ms(1_000));
      probes(required, "pg2", 2_000, 8_000, true);
      assertThat(required.violations()).singleElement().asString().contains("past ttl - lease_margin after the KILL_AGENT");
    });
  }

  /** Chaos seed 685997: a prober stalled by a JVM starting on two cores split the stopped agent's run. */
  @Test
  void aStalledProberDoesNotHideTheAgentStop() {
    W1Check w1 = check(false);
    probes(w1, "pg1", 0, 2_000, true);
    w1.agentStopped("pg1", Fault.Kind.RESTART_CUT_OFF, ms(1_000));
    probes(w1, "pg1", 2_600, 6_000, true);
    probes(w1, "pg2", 4_000, 8_000, true);
    assertThat(w1.violations()).isEmpty();
    assertThat(w1.overlapsPastBound()).isEqualTo(1);
  }

  @Test
  void aServerThatRefusedAfterTheStopAndAcceptsAgainIsNotExcused() {
    W1Check w1 = check(false);
    probes(w1, "pg1", 0, 2_000, true);
    w1.agentStopped("pg1", Fault.Kind.KILL_AGENT, ms(1_000));
    probes(w1, "pg1", 2_000, 3_000, false);
    probes(w1, "pg1", 3_000, 6_000, true);
    probes(w1, "pg2", 4_000, 8_000, true);
    assertThat(w1.violations()).singleElement().asString().contains("with every agent running");
  }
}

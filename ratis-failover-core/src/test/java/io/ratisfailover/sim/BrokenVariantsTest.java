package io.ratisfailover.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * Shows that the safety property can fail: it runs {@link SafetyContract}'s property, unchanged,
 * against each deliberately broken rule in {@link BrokenVariants}, and expects a violation found.
 * The failing schedule is printed, as it would be for a real bug.
 */
class BrokenVariantsTest {
  @ParameterizedTest
  @ValueSource(classes = {BrokenVariants.WithoutCompareAndSet.class, BrokenVariants.WithoutDriftMargin.class,
      BrokenVariants.TrustingAnotherClock.class, BrokenVariants.ElectingOutsideTheSynchronousSet.class,
      BrokenVariants.WithoutFenceOnBoot.class, BrokenVariants.QuorumElectionHearingTooFew.class})
  void thePropertyCatchesTheBrokenRule(Class<?> variant) {
    EngineExecutionResults results = EngineTestKit.engine("jqwik")
        .selectors(selectClass(variant))
        .configurationParameter("jqwik.tries.default", "3000")
        .configurationParameter("jqwik.reporting.onlyfailures", "true")
        .execute();
    List<Event> failures = results.testEvents().failed().list();
    assertThat(failures).as(variant.getSimpleName() + " should violate an invariant").hasSize(1);
    Throwable cause = failures.get(0).getPayload(org.junit.platform.engine.TestExecutionResult.class)
        .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable).orElseThrow();
    System.out.println(variant.getSimpleName() + " caught:\n" + cause.getMessage());
    // H1 too: without the drift margin, a primary may count its predecessor silent exactly as long
    // as it really was, where the margin must leave room for the clocks' drift.
    assertThat(cause.getMessage()).containsAnyOf("S1 at", "S2 at", "S3 at", "S4 at", "W1 at", "H1 at");
  }
}

package io.ratisfailover.sim;

import io.ratisfailover.MemberId;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.control.BrokenAgents;
import io.ratisfailover.internal.control.RenewalClock;
import io.ratisfailover.internal.state.ClusterStateMachine;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Request;
import io.ratisfailover.internal.state.Transition;
import io.ratisfailover.internal.state.MemberRecord;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Tag;

/**
 * Deliberately broken rules, each a mistake a failover manager could plausibly make. They run the
 * unchanged {@link SafetyContract} property, only from {@link BrokenVariantsTest}, which expects
 * every one of them to fail: proof that the property can catch these mistakes. Tagged so that the
 * normal test run never picks them up.
 */
final class BrokenVariants {
  private BrokenVariants() {}

  /** The election ignores renewals that were applied after the arbiter looked: no compare-and-set. */
  @Tag("broken-variant")
  static class WithoutCompareAndSet extends SafetyContract {
    @Override
    SimConfig config() {
      ClusterStateMachine rules = new ClusterStateMachine();
      Transition withoutCas = (state, request, index) -> {
        if (request.command() instanceof Command.Elect e) {
          Command.Elect blind = new Command.Elect(e.candidate(), e.epoch(), state.lastRenewalIndex(), e.cause(), e.reason());
          return rules.apply(state, new Request(request.origin(), blind), index);
        }
        return rules.apply(state, request, index);
      };
      return SimConfig.threeMembers().withTransition(withoutCas);
    }
  }

  /**
   * The primary's lease is as long as the arbiter's wait: a configuration that assumes perfect
   * clocks, run on clocks whose rates differ by up to 5%.
   */
  @Tag("broken-variant")
  static class WithoutDriftMargin extends SafetyContract {
    @Override
    SimConfig config() {
      return SimConfig.threeMembers().withTiming(Timing.builder().maxClockDrift(0).leaseMargin(Duration.ofMillis(1)).build());
    }

    @Override
    double actualDrift() {
      return 0.05;
    }
  }

  /**
   * The arbiter measures the lease from the renewal's timestamp, written by the primary's wall
   * clock, instead of from its own moment of applying it: it trusts another node's clock.
   */
  @Tag("broken-variant")
  static class TrustingAnotherClock extends SafetyContract {
    @Override
    SimConfig config() {
      RenewalClock trusting = (now, request, state, wallMillisNow) -> request.command() instanceof Command.Renew
          ? now - (wallMillisNow - request.origin().sentAtMillis()) * 1_000_000L
          : now;
      return SimConfig.threeMembers().withRenewalClock(trusting);
    }
  }

  /**
   * In synchronous mode the election goes to another data member than the one the arbiter chose,
   * one outside the recorded synchronous set: a standby that may lack acknowledged commits becomes
   * primary. Three data members, so that such a standby exists. Both the arbiter's choice and the
   * state machine's check at apply time are bypassed.
   */
  @Tag("broken-variant")
  static class ElectingOutsideTheSynchronousSet extends SafetyContract {
    @Override
    SimConfig config() {
      ClusterStateMachine rules = new ClusterStateMachine();
      Transition outside = (state, request, index) -> {
        if (request.command() instanceof Command.Elect e && state.settings().synchronousMode() != SynchronousMode.OFF) {
          Optional<MemberId> other = state.members().values().stream().filter(MemberRecord::isData)
              .map(m -> m.peer().id())
              .filter(m -> !m.equals(e.candidate()) && !state.synchronousStandbys().contains(m)
                  && !state.primary().equals(Optional.of(m)) && !state.previousPrimary().equals(Optional.of(m)))
              .findFirst();
          if (other.isPresent()) {
            Command.Elect wrong = new Command.Elect(other.get(), e.epoch(), e.expectedRenewalIndex(), e.cause(), e.reason());
            // The state machine would refuse it as well: the broken rule passes it off as recorded.
            Set<MemberId> passedOff = new HashSet<>(state.synchronousStandbys());
            passedOff.add(other.get());
            return rules.apply(state.toBuilder().synchronousStandbys(passedOff).build(), new Request(request.origin(), wrong),
                index);
          }
        }
        return rules.apply(state, request, index);
      };
      return SimConfig.fiveMembers().withTransition(outside);
    }

    @Override
    int maxFaults() {
      return 10;
    }
  }

  /** Review B4: an agent restarted next to its running primary does nothing before it has read the committed state. */
  @Tag("broken-variant")
  static class WithoutFenceOnBoot extends SafetyContract {
    @Override
    SimConfig config() {
      return SimConfig.threeMembers().withAgentPolicy(BrokenAgents.withoutFenceOnBoot());
    }
  }

  /**
   * Quorum commit, with the election rule weakened: the candidate takes its lease when it has heard
   * from itself alone rather than from k - n + 1 members of the quorum set, so it may be a standby
   * that one of the two confirming standbys' commits never reached.
   */
  @Tag("broken-variant")
  static class QuorumElectionHearingTooFew extends QuorumCommitSafetyProperties {
    @Override
    SimConfig config() {
      return SimConfig.quorumCommit().withAgentPolicy(BrokenAgents.electedHearingOnlyItself());
    }
  }
}

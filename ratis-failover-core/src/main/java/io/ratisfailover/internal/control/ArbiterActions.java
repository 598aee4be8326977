package io.ratisfailover.internal.control;

import io.ratisfailover.Epoch;
import io.ratisfailover.MemberId;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.control.CommandFlights.Flight;
import io.ratisfailover.internal.state.ClusterState;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the arbiter on the Raft leader does with its verdicts: submits its command, and moves Raft
 * leadership away from the primary's host (or its own), at most once a TTL. Loop thread only.
 */
final class ArbiterActions {
  // MemberRuntime's logger: the log lines stay those of the member.
  private static final Logger log = LoggerFactory.getLogger(MemberRuntime.class);

  private final MemberId self;
  private final Timing timing;
  private final CommandFlights flights;
  private final Consensus consensus;
  /** The epoch of the member's current state, read when an answer arrives. */
  private final Supplier<Epoch> stateEpoch;
  private Optional<MemberId> placedFor = Optional.empty();
  private Epoch placedForEpoch = Epoch.ZERO;
  private long lastPlacementAt;

  ArbiterActions(MemberId self, Timing timing, CommandFlights flights, Consensus consensus, Supplier<Epoch> stateEpoch,
      long now) {
    this.self = self;
    this.timing = timing;
    this.flights = flights;
    this.consensus = consensus;
    this.stateEpoch = stateEpoch;
    this.lastPlacementAt = now - timing.ttl().toNanos();
  }

  void arbitrate(Arbiter.Action action, String why, long now) {
    if (action instanceof Arbiter.Action.Submit submit) {
      if (flights.takeOff(Flight.ARBITER)) {
        log.info("member {} epoch {}: arbiter: {}", self, stateEpoch.get(), why);
        flights.submit(submit.command(), (result, error) -> {
          if (error != null) {
            log.warn("member {} epoch {}: arbiter's command got no answer: {}", self, stateEpoch.get(),
                CommandFlights.describe(error));
          } else if (!result.applied()) {
            log.info("member {} epoch {}: arbiter's command refused: {}", self, stateEpoch.get(), result);
          }
        }, Flight.ARBITER);
      }
    } else if (action instanceof Arbiter.Action.PlaceLeaderAway place) {
      if (Ticks.reached(now, Ticks.plus(lastPlacementAt, timing.ttl()))) {
        lastPlacementAt = now;
        log.info("member {} epoch {}: handing Raft leadership away from the primary's host", self, stateEpoch.get());
        consensus.placeLeaderAwayFrom(place.primary());
      }
    } else if (action instanceof Arbiter.Action.HandLeadershipAway) {
      if (Ticks.reached(now, Ticks.plus(lastPlacementAt, timing.ttl()))) {
        lastPlacementAt = now;
        log.warn("member {} epoch {}: arbiter: {}", self, stateEpoch.get(), why);
        // Ratis hands leadership only to the peer of highest priority: this member's goes to the lowest.
        placedFor = Optional.empty();
        consensus.placeLeaderAwayFrom(self);
      }
    }
  }

  /**
   * After every change of primary, the leader re-weights Raft priorities away from the new primary's
   * host; when it elected itself, only once its promotion is recorded ({@link Arbiter#mayPlaceLeader}).
   */
  void placeLeader(ClusterState state, long now) {
    Optional<MemberId> primary = state.primary();
    if (primary.isPresent() && (!primary.equals(placedFor) || !placedForEpoch.equals(state.epoch()))
        && Arbiter.mayPlaceLeader(state, self)) {
      placedFor = primary;
      placedForEpoch = state.epoch();
      lastPlacementAt = now;
      consensus.placeLeaderAwayFrom(primary.get());
    }
  }
}

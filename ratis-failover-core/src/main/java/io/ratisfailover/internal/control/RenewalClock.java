package io.ratisfailover.internal.control;

import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Request;

/**
 * Where the arbiter starts measuring the primary's lease. The production rule is {@link #LOCAL}:
 * this node's own tick when it applied the renewal — which comes after the commit, which comes
 * after the primary sent it, so the arbiter's wait never starts before the primary's lease did,
 * whichever node measured it and whenever it became leader. The interface exists so that tests
 * can show that the safety properties catch a wrong rule.
 */
public interface RenewalClock {

  /** What to record when this node applies {@code request}, a renewal, election or release, at tick {@code now}. */
  long applied(long now, Request request, ClusterState state, long wallMillisNow);

  /** What to record when the state was loaded wholesale at tick {@code now}: apply times are lost, so now. */
  default long loaded(long now) {
    return now;
  }

  /** The tick the arbiter measures the lease from, given the recorded one and its own leadership start. */
  default long measureFrom(long recorded, long leaderSince) {
    return recorded;
  }

  RenewalClock LOCAL = (now, request, state, wallMillisNow) -> now;
}

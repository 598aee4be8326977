package io.ratisfailover.internal.control;

import io.ratisfailover.internal.state.ClusterState;

/**
 * Where the arbiter starts measuring the primary's lease. The production rule is {@link #LOCAL}:
 * this node's own tick when it applied the renewal — which comes after the commit, which comes
 * after the primary sent it, so the arbiter's wait never starts before the primary's lease did.
 * The interface exists so that tests can show the safety properties catch a wrong rule.
 */
public interface RenewalClock {

  /** The tick to measure from, given that this node applied the renewal at tick {@code now}. */
  long applied(long now, ClusterState state, long wallMillisNow);

  /** The tick to measure from after the state was loaded wholesale at tick {@code now}. */
  default long loaded(long now) {
    return now;
  }

  /**
   * A lower bound on the measuring start, given that this node became leader at {@code leaderSince}.
   * The production rule needs none: its own apply time is already safe.
   */
  default long floor(long leaderSince) {
    return Long.MIN_VALUE / 2;
  }

  RenewalClock LOCAL = (now, state, wallMillisNow) -> now;
}

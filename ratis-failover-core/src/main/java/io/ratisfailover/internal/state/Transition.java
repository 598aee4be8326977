package io.ratisfailover.internal.state;

/** The replicated state machine's rule: deterministic, no clock, no I/O, never throws. */
@FunctionalInterface
public interface Transition {
  Applied apply(ClusterState state, Request request, long index);
}

package io.ratisfailover.internal.ratis;

import io.ratisfailover.MemberId;
import io.ratisfailover.internal.control.Loop;
import io.ratisfailover.internal.control.MemberRuntime;
import io.ratisfailover.internal.control.StateWatchers;
import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Request;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Hands state-machine events, which arrive on Ratis' threads, to the runtime's loop, and wakes
 * admin callers waiting for a state.
 */
public final class LoopEvents implements StateMachineEvents {
  private final Loop loop;
  private final MemberRuntime runtime;
  private final StateWatchers watchers;
  private final LongSupplier currentTerm;

  /** @param currentTerm the Raft term now, read when the leader changes */
  public LoopEvents(Loop loop, MemberRuntime runtime, StateWatchers watchers, LongSupplier currentTerm) {
    this.loop = loop;
    this.runtime = runtime;
    this.watchers = watchers;
    this.currentTerm = currentTerm;
  }

  @Override
  public void loaded(ClusterState state, long index) {
    loop.execute(() -> runtime.stateLoaded(state, index));
    watchers.offer(state);
  }

  @Override
  public void applied(long index, Request request, ApplyResult result, ClusterState state) {
    loop.execute(() -> runtime.applied(index, request, result, state));
    watchers.offer(state);
  }

  @Override
  public void leadership(boolean leader) {
    loop.execute(() -> runtime.leadership(leader));
  }

  @Override
  public void leaderChanged(Optional<MemberId> leader) {
    loop.execute(() -> runtime.raftLeader(leader, currentTerm.getAsLong()));
  }
}

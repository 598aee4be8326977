package io.ratisfailover.internal.ratis;

import io.ratisfailover.MemberId;
import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Request;
import java.util.Optional;

/**
 * What the Ratis state machine tells the member runtime. Called on Ratis threads: implementations
 * hand the event to the runtime's loop and return at once.
 */
public interface StateMachineEvents {
  void loaded(ClusterState state, long index);

  void applied(long index, Request request, ApplyResult result, ClusterState state);

  void leadership(boolean leader);

  void leaderChanged(Optional<MemberId> leader);
}

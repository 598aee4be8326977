package io.ratisfailover.internal.control;

import io.ratisfailover.MemberId;
import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.Request;
import java.util.concurrent.CompletableFuture;

/**
 * The replicated log, as the runtime uses it: Ratis in production, a simulated log in tests.
 */
public interface Consensus {

  /**
   * Sends {@code request} to the leader. The future completes with the result the leader's state
   * machine returned once the entry was committed and applied, or exceptionally if no answer came;
   * even then the request may still be applied later. It may complete on any thread.
   */
  CompletableFuture<ApplyResult> send(Request request);

  /**
   * Asks the group to prefer any member but {@code primary} as leader and, if {@code primary}
   * leads now, to hand leadership over. Best effort; never blocks.
   */
  void placeLeaderAwayFrom(MemberId primary);
}

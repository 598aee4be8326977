package io.ratisfailover.spi;

import io.ratisfailover.Epoch;
import io.ratisfailover.MemberId;
import java.util.Optional;

/**
 * Extra fences around a change of primary: run a command, call an infrastructure API, power off a
 * host (STONITH). Both hooks run on the agent's fence thread and must return within the
 * operation timeout.
 */
public interface Fencer {

  /** After this member's own database was fenced because it lost, or gave up, the primary role. */
  default void afterLocalFence(MemberId self, Epoch lostEpoch, String reason) {}

  /**
   * On the member about to promote for {@code epoch}, before it does: fence the previous primary
   * from outside. Throwing vetoes this attempt: it counts as a failed promotion, which the member
   * tries again (calling this again each time) until it has been elected for {@code
   * switchover_timeout}, and then gives the epoch up.
   *
   * @param previous the previous primary and the attributes it published, if the cluster had one
   */
  default void beforePromote(MemberId self, Epoch epoch, Optional<Upstream> previous) throws FenceFailedException {}

  /** A fence that could not be put up. */
  final class FenceFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    public FenceFailedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** No extra fences. */
  Fencer NONE = new Fencer() {};
}

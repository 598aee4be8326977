package io.ratisfailover.internal.control;

import io.ratisfailover.Epoch;
import io.ratisfailover.MemberId;
import io.ratisfailover.internal.state.ClusterState;
import java.util.OptionalLong;

/** Since when this member has been the elected primary of the current epoch: the agent's promotion clock. Loop thread only. */
final class ElectedSince {
  private final MemberId self;
  private OptionalLong since = OptionalLong.empty();
  private Epoch epoch = Epoch.ZERO;

  ElectedSince(MemberId self) {
    this.self = self;
  }

  OptionalLong since() {
    return since;
  }

  /** The primary or epoch changed to {@code next}'s at {@code now}. */
  void primaryChanged(ClusterState next, long now) {
    boolean elected = next.isPrimary(self, next.epoch());
    if (elected && !next.epoch().equals(epoch)) {
      epoch = next.epoch();
      since = OptionalLong.of(now);
    } else if (!elected) {
      since = OptionalLong.empty();
    }
  }
}

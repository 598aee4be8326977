package io.ratisfailover.internal.control;

import io.ratisfailover.internal.state.ClusterCa;
import io.ratisfailover.internal.state.ClusterState;
import java.util.Optional;

/** Whether this member's configured CA agrees with the one the cluster was bootstrapped with. */
final class Trust {
  private Trust() {}

  /**
   * Why this member cannot take part in {@code state}'s cluster with the CA it was configured with;
   * empty when it can. A member configured with a CA in a cluster bootstrapped without one takes
   * part: its signatures go unchecked (the runtime warns).
   */
  static Optional<String> problem(ClusterState state, Optional<ClusterCa> configured) {
    if (!state.authenticated() || configured.equals(state.ca())) {
      return Optional.empty();
    }
    String cluster = "cluster " + state.clusterName() + " accepts only commands signed under its " + state.ca().get();
    return Optional.of(configured.isEmpty() ? cluster + ", and this member has no raft.tls: doing nothing"
        : cluster + ", but this member is configured with " + configured.get() + ": doing nothing");
  }
}

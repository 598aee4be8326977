package io.ratisfailover.internal.state;

import java.util.Objects;

/** The state after one command, and the result its sender receives. */
public record Applied(ClusterState state, ApplyResult result) {
  public Applied {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(result, "result");
  }
}

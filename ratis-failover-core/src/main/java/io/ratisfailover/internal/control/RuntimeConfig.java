package io.ratisfailover.internal.control;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.Tags;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.state.ClusterCa;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a member's runtime is configured with.
 *
 * @param initialSettings the dynamic settings a new cluster starts with
 * @param apiUrl where this member's HTTP API listens, published to the others; may be empty
 * @param ca the cluster CA this member signs under; empty in an unauthenticated cluster
 * @param switchoverDrain how long a primary answers 503 on {@code /primary} in a switchover before
 *     it stops its database (see {@link io.ratisfailover.FailoverMember.Builder#switchoverDrain})
 */
public record RuntimeConfig(MemberId self, MemberKind kind, String clusterName, List<Peer> peers,
    ClusterSettings initialSettings, Timing timing, Tags tags, String apiUrl, Optional<ClusterCa> ca,
    Duration switchoverDrain) {
  public RuntimeConfig {
    Objects.requireNonNull(self, "self");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(clusterName, "clusterName");
    Objects.requireNonNull(initialSettings, "initialSettings");
    Objects.requireNonNull(timing, "timing");
    Objects.requireNonNull(tags, "tags");
    Objects.requireNonNull(apiUrl, "apiUrl");
    Objects.requireNonNull(ca, "ca");
    Objects.requireNonNull(switchoverDrain, "switchoverDrain");
    peers = List.copyOf(peers);
  }

  /** A member of an unauthenticated cluster. */
  public RuntimeConfig(MemberId self, MemberKind kind, String clusterName, List<Peer> peers,
      ClusterSettings initialSettings, Timing timing, Tags tags, String apiUrl) {
    this(self, kind, clusterName, peers, initialSettings, timing, tags, apiUrl, Optional.empty(), Duration.ZERO);
  }
}

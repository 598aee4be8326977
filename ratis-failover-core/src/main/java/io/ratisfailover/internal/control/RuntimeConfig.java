package io.ratisfailover.internal.control;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.Tags;
import io.ratisfailover.Timing;
import java.util.List;
import java.util.Objects;

/**
 * What a member's runtime is configured with.
 *
 * @param initialSettings the dynamic settings a new cluster starts with
 * @param apiUrl where this member's HTTP API listens, published to the others; may be empty
 */
public record RuntimeConfig(MemberId self, MemberKind kind, String clusterName, List<Peer> peers,
    ClusterSettings initialSettings, Timing timing, Tags tags, String apiUrl) {
  public RuntimeConfig {
    Objects.requireNonNull(self, "self");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(clusterName, "clusterName");
    Objects.requireNonNull(initialSettings, "initialSettings");
    Objects.requireNonNull(timing, "timing");
    Objects.requireNonNull(tags, "tags");
    Objects.requireNonNull(apiUrl, "apiUrl");
    peers = List.copyOf(peers);
  }
}

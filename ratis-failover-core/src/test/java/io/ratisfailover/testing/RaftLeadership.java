package io.ratisfailover.testing;

import io.ratisfailover.MemberId;
import io.ratisfailover.Peer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

/**
 * Puts Raft leadership of a cluster's group on one member (over an insecure Raft port). After an
 * election, leadership moves to the highest-priority member (a standby, by default) by itself, but Ratis'
 * hand-over can take long under steady writes; a test that compares terms before and after
 * something asks for it first.
 */
public final class RaftLeadership {
  private RaftLeadership() {}

  /** The group id members derive from the cluster name (as {@code FailoverMember} does). */
  public static RaftGroupId groupId(String clusterName) {
    return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("ratis-failover/" + clusterName).getBytes(StandardCharsets.UTF_8)));
  }

  /** Asks until {@code leader} (as some member sees it) is {@code target}. */
  public static void moveTo(String clusterName, List<Peer> peers, MemberId target, Supplier<Optional<MemberId>> leader,
      Duration timeout) {
    RaftGroup group = RaftGroup.valueOf(groupId(clusterName), peers.stream()
        .map(p -> RaftPeer.newBuilder().setId(p.id().value()).setAddress(p.raftAddress()).build()).toList());
    try (RaftClient client = RaftClient.newBuilder().setProperties(new RaftProperties()).setRaftGroup(group).build()) {
      Await.until(target + " leading the Raft group of " + clusterName, timeout, () -> {
        if (leader.get().equals(Optional.of(target))) {
          return true;
        }
        try {
          client.admin().transferLeadership(RaftPeerId.valueOf(target.value()), 1000);
        } catch (IOException | RuntimeException e) {
          // No leader yet, or a transfer under way: asked again on the next round.
        }
        return false;
      });
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

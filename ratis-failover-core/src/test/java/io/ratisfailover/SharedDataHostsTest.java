package io.ratisfailover;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.InMemoryDatabases;
import io.ratisfailover.testing.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every member of two clusters on shared Raft servers, data members included (the fleet benchmark
 * runs its in-memory data members so): the same ids at the same addresses in both clusters. The
 * second cluster's members must not take the first cluster's group, which their own servers
 * already serve, for their cluster under another name.
 */
class SharedDataHostsTest {
  static final Duration PATIENCE = Duration.ofSeconds(30);

  @TempDir Path dir;
  final List<RaftHost> hosts = new ArrayList<>();
  final List<FailoverMember> members = new ArrayList<>();

  @AfterEach
  void stop() {
    try {
      members.forEach(FailoverMember::close);
    } finally {
      hosts.forEach(RaftHost::close);
    }
  }

  RaftHost host(String id) {
    RaftHost h = RaftHost.builder().memberId(id).raftAddress("127.0.0.1:" + Ports.free(1)[0])
        .storageDirectory(dir.resolve(id)).timing(Timing.defaults()).insecureRaft().build();
    h.start();
    hosts.add(h);
    return h;
  }

  List<FailoverMember> cluster(String name, RaftHost a, RaftHost b, RaftHost w) {
    List<Peer> peers = List.of(Peer.data("da", a.raftAddress()), Peer.data("db", b.raftAddress()),
        Peer.witness("w1", w.raftAddress()));
    InMemoryDatabases databases = new InMemoryDatabases();
    List<FailoverMember> started = new ArrayList<>();
    for (RaftHost h : List.of(a, b, w)) {
      FailoverMember.Builder builder = FailoverMember.builder().clusterName(name).memberId(h.memberId()).peers(peers)
          .raftHost(h);
      if (h != w) {
        builder.database(databases.create(h.memberId()));
      }
      FailoverMember m = builder.build();
      members.add(m);
      m.start();
      started.add(m);
    }
    return started;
  }

  @Test
  void dataMembersOfSeveralClustersShareTheirServers() {
    RaftHost a = host("da");
    RaftHost b = host("db");
    RaftHost w = host("w1");
    List<FailoverMember> orders = cluster("orders", a, b, w);
    Await.until("a primary of orders", PATIENCE, () -> orders.stream().anyMatch(FailoverMember::servingPrimary));
    // Before: "configured cluster name 'billing' differs from the cluster's 'orders' in the group peer db serves".
    List<FailoverMember> billing = cluster("billing", a, b, w);
    Await.until("a primary of billing", PATIENCE, () -> billing.stream().anyMatch(FailoverMember::servingPrimary));
    assertThat(orders.stream().filter(FailoverMember::servingPrimary)).hasSize(1);
  }
}

package io.ratisfailover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.InMemoryDatabases;
import io.ratisfailover.testing.LocalCluster;
import io.ratisfailover.testing.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddingApiTest {
  static final Duration PATIENCE = Duration.ofSeconds(30);
  static final List<Peer> PEERS = List.of(Peer.data("pg1", "127.0.0.1:7101"), Peer.data("pg2", "127.0.0.1:7102"),
      Peer.witness("w1", "127.0.0.1:7103"));

  @TempDir Path dir;

  @Test
  void theBuilderNamesWhatIsMissingOrInconsistent() {
    InMemoryDatabases dbs = new InMemoryDatabases();
    assertThatThrownBy(() -> FailoverMember.builder().clusterName("c").peers(PEERS).storageDirectory(dir).build())
        .hasMessage("member id is required");
    assertThatThrownBy(() -> FailoverMember.builder().memberId("pg1").peers(PEERS).storageDirectory(dir).build())
        .hasMessage("cluster name is required");
    assertThatThrownBy(() -> FailoverMember.builder().memberId("pg1").clusterName("c").peers(PEERS).build())
        .hasMessage("storage directory is required");
    assertThatThrownBy(() -> FailoverMember.builder().memberId("pg9").clusterName("c").peers(PEERS).storageDirectory(dir).build())
        .hasMessageContaining("member pg9 is not among the peers");
    assertThatThrownBy(() -> FailoverMember.builder().memberId("pg1").clusterName("c").peers(PEERS).storageDirectory(dir).build())
        .hasMessage("data member pg1 needs a database adapter");
    assertThatThrownBy(() -> FailoverMember.builder().memberId("w1").clusterName("c").peers(PEERS).storageDirectory(dir)
        .database(dbs.create(MemberId.of("w1"))).build()).hasMessage("witness w1 cannot have a database adapter");
    assertThatThrownBy(() -> FailoverMember.builder().memberId("pg1").clusterName("c").storageDirectory(dir)
        .peers(List.of(Peer.data("pg1", "h:1"), Peer.data("pg1", "h:2"))).build()).hasMessage("peer pg1 is listed twice");
    assertThatThrownBy(() -> FailoverMember.builder().memberId("pg1").clusterName("c").storageDirectory(dir)
        .peers(List.of(Peer.data("pg1", "h:1"), Peer.data("pg2", "h:1"))).build())
        .hasMessage("raft address h:1 is used by two peers");
    assertThatThrownBy(() -> FailoverMember.builder().memberId("w1").clusterName("c").storageDirectory(dir)
        .peers(List.of(Peer.witness("w1", "h:1"))).build()).hasMessage("the peers include no data member");
    assertThatThrownBy(() -> FailoverMember.builder().memberId("pg1").clusterName("c").storageDirectory(dir).peers(PEERS)
        .snapshotEvery(3).build()).isInstanceOf(SettingException.class).hasMessage("snapshotEvery: must be at least 10 entries, got 3");
  }

  @Test
  void aPortInUseFailsTheStartWithTheAddress() throws Exception {
    int port = Ports.free(1)[0];
    try (java.net.ServerSocket taken = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
      FailoverMember m = FailoverMember.builder().memberId("w1").clusterName("c").storageDirectory(dir)
          .peers(List.of(Peer.data("pg1", "127.0.0.1:1"), Peer.witness("w1", "127.0.0.1:" + port))).insecureRaft().build();
      assertThatThrownBy(m::start).isInstanceOf(FailoverException.class)
          .hasMessageContaining("cannot start the Raft server of member w1 on 127.0.0.1:" + port);
      m.close();
    }
  }

  @Test
  void adminCallsReturnOutcomesOrPreciseRefusals() {
    try (LocalCluster cluster = LocalCluster.threeMembers("orders", dir, Timing.defaults()).startAll()) {
      FailoverMember primary = Await.value("a serving primary", PATIENCE, () -> cluster.servingPrimary().orElse(null));
      String standby = primary.id().value().equals("pg1") ? "pg2" : "pg1";
      FailoverMember witness = cluster.member("w1");
      Await.until(standby + " reported streaming", PATIENCE, () -> witness.cluster().member(MemberId.of(standby))
          .flatMap(MemberView::status).map(s -> s.isReplica()).orElse(false));

      assertThatThrownBy(() -> witness.switchover(new SwitchoverRequest(Optional.of(MemberId.of(standby)), Optional.empty(),
          Optional.empty()), PATIENCE)).isInstanceOfSatisfying(AdminRejectedException.class,
              e -> assertThat(e.reason()).isEqualTo(AdminRejectedException.Reason.NOT_PRIMARY))
          .hasMessageContaining("leader name does not match");
      assertThatThrownBy(() -> witness.failover(MemberId.of("nobody"), PATIENCE))
          .isInstanceOfSatisfying(AdminRejectedException.class,
              e -> assertThat(e.reason()).isEqualTo(AdminRejectedException.Reason.UNKNOWN_MEMBER));
      assertThatThrownBy(() -> witness.failover(MemberId.of("w1"), PATIENCE)).hasMessageContaining("is a witness");
      assertThatThrownBy(() -> witness.failover(primary.id(), PATIENCE)).hasMessageContaining("is already the primary");

      SwitchoverOutcome later = witness.switchover(new SwitchoverRequest(Optional.empty(), Optional.of(MemberId.of(standby)),
          Optional.of(Instant.now().plusSeconds(3600))), PATIENCE);
      assertThat(later.scheduled()).isTrue();
      assertThatThrownBy(() -> witness.switchover(SwitchoverRequest.now(), PATIENCE))
          .isInstanceOfSatisfying(AdminRejectedException.class,
              e -> assertThat(e.reason()).isEqualTo(AdminRejectedException.Reason.CONFLICT));
      witness.cancelSwitchover();
      assertThatThrownBy(witness::cancelSwitchover).isInstanceOfSatisfying(AdminRejectedException.class,
          e -> assertThat(e.reason()).isEqualTo(AdminRejectedException.Reason.CONFLICT));

      SwitchoverOutcome done = witness.switchover(SwitchoverRequest.to(MemberId.of(standby)), PATIENCE);
      assertThat(done.primary()).contains(MemberId.of(standby));
      assertThat(done.epoch()).contains(Epoch.of(2));
      assertThat(witness.cluster().history()).last().satisfies(h -> assertThat(h.cause()).isEqualTo(HistoryEntry.Cause.SWITCHOVER));
      Await.until(primary.id() + " following " + standby, PATIENCE,
          () -> primary.local().role() == LocalRole.REPLICA && cluster.database(primary.id().value()).state()
              == io.ratisfailover.spi.DatabaseState.RUNNING_REPLICA, cluster::describe);
      Await.until(primary.id() + " reported streaming", PATIENCE, () -> witness.cluster().member(primary.id())
          .flatMap(MemberView::status).map(s -> s.isReplica()).orElse(false));

      SwitchoverOutcome back = witness.failover(primary.id(), PATIENCE);
      assertThat(back.primary()).contains(primary.id());
      assertThat(witness.cluster().history()).last().satisfies(h -> assertThat(h.cause()).isEqualTo(HistoryEntry.Cause.FAILOVER));

      witness.pause();
      Await.until("paused everywhere", PATIENCE, () -> cluster.members().stream().allMatch(m -> m.local().paused()));
      witness.resume();
      ClusterSettings applied = witness.updateSettings(s -> s.withMaximumLagOnFailover(4096));
      assertThat(applied.maximumLagOnFailover()).isEqualTo(4096);
      Await.until("settings applied", PATIENCE, () -> primary.cluster().settings().maximumLagOnFailover() == 4096);
      ServerParameters work = new ServerParameters(java.util.Map.of("work_mem", "64MB"), List.of());
      witness.updateSettings(s -> s.withPostgresql(work));
      Await.until("every database took the cluster's parameters", PATIENCE,
          () -> cluster.database("pg1").clusterParameters().equals(work)
              && cluster.database("pg2").clusterParameters().equals(work), cluster::describe);
      assertThatThrownBy(() -> witness.updateSettings(s -> s.withSynchronousNodeCount(0)))
          .isInstanceOfSatisfying(AdminRejectedException.class,
              e -> assertThat(e.reason()).isEqualTo(AdminRejectedException.Reason.INVALID))
          .hasMessageContaining("synchronous_node_count");
    }
  }

  @Test
  void roleListenersRunOnTheGivenExecutorAndAFailingOneHurtsNobody() throws Exception {
    ExecutorService listeners = Executors.newSingleThreadExecutor(r -> new Thread(r, "listeners"));
    List<String> seen = new CopyOnWriteArrayList<>();
    int[] ports = Ports.free(3);
    List<Peer> peers = List.of(Peer.data("pg1", "127.0.0.1:" + ports[0]), Peer.data("pg2", "127.0.0.1:" + ports[1]),
        Peer.witness("w1", "127.0.0.1:" + ports[2]));
    InMemoryDatabases dbs = new InMemoryDatabases();
    List<FailoverMember> members = new java.util.ArrayList<>();
    try {
      for (Peer p : peers) {
        FailoverMember.Builder b = FailoverMember.builder().clusterName("orders").memberId(p.id()).peers(peers)
            .storageDirectory(dir.resolve(p.id().value())).listenerExecutor(listeners).insecureRaft()
            .roleListener(change -> {
              throw new IllegalStateException("a broken listener");
            })
            .roleListener(change -> seen.add(Thread.currentThread().getName() + ":" + change.member() + ":" + change.to()));
        if (p.kind() == MemberKind.DATA) {
          b.database(dbs.create(p.id()));
        }
        FailoverMember m = b.build();
        members.add(m);
        m.start();
      }
      Await.until("a primary announced to the listener", PATIENCE, () -> seen.stream().anyMatch(s -> s.endsWith(":PRIMARY")));
      assertThat(seen).allMatch(s -> s.startsWith("listeners:"));
      assertThat(seen).anyMatch(s -> s.endsWith("w1:WITNESS"));
    } finally {
      members.forEach(FailoverMember::close);
      listeners.shutdownNow();
    }
  }
}

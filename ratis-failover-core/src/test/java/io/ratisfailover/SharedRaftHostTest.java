package io.ratisfailover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.internal.ratis.RaftNode;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.LocalCluster;
import io.ratisfailover.testing.Ports;
import io.ratisfailover.testing.RaftLeadership;
import io.ratisfailover.testing.SafetyWatch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One witness process, one Raft port, several clusters: two clusters of two in-memory data members
 * each share the witness w1's Raft server. Each elects its own primary; a cluster that loses its
 * data members, or a group whose state machine fails, or a cluster added and removed while the
 * others run, leaves the others' Raft term and primary as they were.
 */
class SharedRaftHostTest {
  static final Duration PATIENCE = Duration.ofSeconds(30);
  /** Long enough for an unwanted election (ttl 3 s by default) to have shown. */
  static final Duration UNDISTURBED = Duration.ofSeconds(5);

  @TempDir Path dir;
  RaftHost host;
  LocalCluster orders;
  LocalCluster billing;
  SafetyWatch ordersWatch;

  @BeforeEach
  void start() {
    host = RaftHost.builder().memberId("w1").raftAddress("127.0.0.1:" + Ports.free(1)[0])
        .storageDirectory(dir.resolve("w1")).timing(Timing.defaults()).insecureRaft().build();
    host.start();
    orders = LocalCluster.sharingWitness("orders", dir.resolve("orders"), Timing.defaults(), host).startAll();
    billing = LocalCluster.sharingWitness("billing", dir.resolve("billing"), Timing.defaults(), host);
    ordersWatch = new SafetyWatch(() -> orders.members(), orders.databases());
  }

  @AfterEach
  void stop() throws InterruptedException {
    try {
      ordersWatch.close();
      ordersWatch.assertSafe();
    } finally {
      try {
        billing.close();
        orders.close();
      } finally {
        host.close();
      }
    }
  }

  static FailoverMember servingPrimary(LocalCluster cluster) {
    Await.until("a serving primary", PATIENCE, () -> cluster.servingPrimary().isPresent(), cluster::describe);
    return cluster.servingPrimary().orElseThrow();
  }

  /** What must not change in a cluster while another one is disturbed: its Raft term and leader, its primary and epoch. */
  record Steady(long term, MemberId leader, MemberId primary, Epoch epoch) {
    static Steady of(LocalCluster cluster) {
      ClusterView view = cluster.member("w1").cluster();
      return new Steady(view.raftTerm(), view.raftLeader().orElseThrow(), view.primary().orElseThrow(), view.epoch());
    }
  }

  /**
   * The cluster's primary has been promoted everywhere and Raft leadership is on the standby, the
   * highest priority (issue 14: the shared witness leads no cluster; before, the test moved it to
   * the witness): after an election it moves there from the new primary's host, but Ratis' own
   * hand-over can take long under steady writes, so the test asks for it.
   */
  static Steady settled(LocalCluster cluster) {
    FailoverMember primary = servingPrimary(cluster);
    MemberId standby = cluster.peers().stream().filter(p -> p.kind() == MemberKind.DATA && !p.id().equals(primary.id()))
        .findFirst().orElseThrow().id();
    String name = cluster.member("w1").cluster().clusterName();
    RaftLeadership.moveTo(name, cluster.peers(), standby, () -> cluster.member("w1").cluster().raftLeader(), PATIENCE);
    Await.until("the cluster settled", PATIENCE, () -> cluster.members().stream().allMatch(m -> m.cluster().history()
        .stream().allMatch(HistoryEntry::promoted) && m.cluster().raftLeader().equals(Optional.of(standby))
        && m.cluster().epoch().equals(primary.local().epoch())), cluster::describe);
    return Steady.of(cluster);
  }

  void assertUndisturbed(LocalCluster cluster, Steady before, Duration period) {
    Await.holds("cluster orders keeping its term, leader and primary", period,
        () -> Steady.of(cluster).equals(before) && cluster.servingPrimary().map(FailoverMember::id).equals(
            Optional.of(before.primary())));
  }

  @Test
  void twoClustersElectTheirOwnPrimariesThroughOneWitnessPort() {
    billing.startAll();
    FailoverMember a = servingPrimary(orders);
    FailoverMember b = servingPrimary(billing);
    settled(orders);
    settled(billing);
    assertThat(a.cluster().clusterName()).isEqualTo("orders");
    assertThat(b.cluster().clusterName()).isEqualTo("billing");
    assertThat(orders.member("w1").cluster().primary()).contains(a.id());
    assertThat(billing.member("w1").cluster().primary()).contains(b.id());
    assertThat(orders.peers()).filteredOn(p -> p.kind() == MemberKind.WITNESS).extracting(Peer::raftAddress)
        .containsExactly(host.raftAddress());
    assertThat(billing.peers()).filteredOn(p -> p.kind() == MemberKind.WITNESS).extracting(Peer::raftAddress)
        .containsExactly(host.raftAddress());
    assertThat(host.server().server().getGroupIds()).hasSize(2);
    assertThat(RaftLeadership.groupId("orders")).as("the tests derive the group id as members do")
        .isEqualTo(RaftNode.groupId("orders"));
  }

  @Test
  void aClusterWhoseDataMembersAllStopLeavesTheOtherAsItWas() {
    billing.startAll();
    settled(billing);
    Steady before = settled(orders);
    billing.kill(MemberId.of("billing-pg1"));
    billing.kill(MemberId.of("billing-pg2"));
    assertUndisturbed(orders, before, UNDISTURBED);
  }

  @Test
  void aClusterAddedAndRemovedAtRuntimeLeavesTheOtherAsItWas() throws Exception {
    Steady before = settled(orders);
    billing.startAll();
    settled(billing);
    Epoch billingEpoch = billing.member("w1").cluster().epoch();
    long billingIndex = billing.member("w1").cluster().appliedIndex();

    billing.close();
    RaftGroupId billingGroup = RaftNode.groupId("billing");
    assertThat(host.server().server().getGroupIds()).doesNotContain(billingGroup);
    assertThat(Files.isDirectory(host.server().restingStorage().resolve(billingGroup.getUuid().toString())))
        .as("the removed cluster's Raft storage is parked, not deleted").isTrue();

    // Added back, its witness resumes from the parked storage.
    billing.startAll();
    Await.until("billing resumed from its storage", PATIENCE, () -> billing.member("w1").cluster().appliedIndex()
        >= billingIndex && billing.member("w1").cluster().epoch().value() >= billingEpoch.value(), billing::describe);
    servingPrimary(billing);
    assertUndisturbed(orders, before, Duration.ofSeconds(1));
  }

  @Test
  void aGroupWhoseStateMachineFailsClosesAloneAndCanBeRemoved() throws Exception {
    Steady before = settled(orders);
    RaftGroup broken = RaftGroup.valueOf(RaftGroupId.valueOf(UUID.randomUUID()),
        RaftPeer.newBuilder().setId("w1").setAddress(host.raftAddress()).build());
    RaftServer.Division division = host.server().add(broken, new FailingStateMachine());
    try (RaftClient client = RaftClient.newBuilder().setRaftGroup(broken).setProperties(new RaftProperties())
        .setRetryPolicy(RetryPolicies.retryForeverWithSleep(TimeDuration.valueOf(50, TimeUnit.MILLISECONDS))).build()) {
      CompletableFuture<RaftClientReply> reply = client.async().send(Message.valueOf("boom"));
      Await.until("the broken group closed", PATIENCE, () -> !division.getInfo().isAlive());
      reply.cancel(true);
    }
    assertUndisturbed(orders, before, UNDISTURBED);
    host.server().remove(broken.getGroupId());
    assertThat(host.server().server().getGroupIds()).containsExactly(RaftNode.groupId("orders"));
    assertThatThrownBy(() -> host.server().server().getDivision(broken.getGroupId())).isNotNull();
  }

  @Test
  void aMemberIdAnotherClusterUsesAtAnotherAddressIsRefused() {
    settled(orders);
    LocalCluster clash = new LocalCluster("clash", dir.resolve("clash"), Timing.defaults(), ClusterSettings.DEFAULT,
        java.util.Map.of("orders-pg1", MemberKind.DATA, "w1", MemberKind.WITNESS));
    FailoverMember.Builder b = FailoverMember.builder().clusterName("clash").memberId("w1").raftHost(host)
        .peers(List.of(clash.peers().get(0), Peer.witness("w1", host.raftAddress())));
    FailoverMember witness = b.build();
    try {
      assertThatThrownBy(witness::start).hasMessageContaining("member id orders-pg1 at " + clash.peers().get(0).raftAddress()
          + " is already known to the shared Raft server of w1");
    } finally {
      witness.close();
    }
  }

  @Test
  void aMemberOnAHostMustUseItsAddressAndElectionTimeouts() {
    settled(orders);
    Peer data = Peer.data("pg1", "127.0.0.1:1");
    assertThatThrownBy(() -> FailoverMember.builder().clusterName("c").memberId("w1")
        .peers(List.of(data, Peer.witness("w1", "127.0.0.1:2"))).raftHost(host).build())
        .hasMessageContaining("lists w1 at 127.0.0.1:2 but its shared Raft server is at " + host.raftAddress());
    assertThatThrownBy(() -> FailoverMember.builder().clusterName("c").memberId("w1")
        .peers(List.of(data, Peer.witness("w1", host.raftAddress()))).raftHost(host).timing(Timing.conservative().build()).build())
        .hasMessageContaining("election timeouts must be those of the shared Raft server");
    assertThatThrownBy(() -> FailoverMember.builder().clusterName("c").memberId("w1")
        .peers(List.of(data, Peer.witness("w1", host.raftAddress()))).raftHost(host).insecureRaft().build())
        .hasMessageContaining("do not set them on the member");
  }

  /** A state machine that fails on the first entry it applies, as a bug in one cluster's rules would. */
  static final class FailingStateMachine extends BaseStateMachine {
    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
      throw new IllegalStateException("this group's state machine fails on purpose");
    }
  }
}

package io.ratisfailover.ratis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.FailoverException;
import io.ratisfailover.FailoverMember;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.Timing;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.LocalCluster;
import io.ratisfailover.testing.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Members whose configuration disagrees with the cluster's refuse to run with one line naming
 * what differs (issue 11, item 6), and the cluster's settings come from a data member's
 * configuration, never from a witness's.
 */
class ConfigurationAgreementTest {
  static final Duration PATIENCE = Duration.ofSeconds(30);
  static final ClusterSettings DATA_SETTINGS = ClusterSettings.DEFAULT.withSynchronousMode(SynchronousMode.ON)
      .withMaximumLagOnFailover(3 << 20);
  static final ClusterSettings WITNESS_SETTINGS = ClusterSettings.DEFAULT.withMaximumLagOnFailover(7 << 20);

  @TempDir Path dir;
  LocalCluster cluster;

  @AfterEach
  void stop() {
    cluster.close();
  }

  private FailoverMember formed() {
    cluster = LocalCluster.threeMembers("orders", dir, Timing.defaults()).startAll();
    Await.until("a serving primary", PATIENCE, () -> cluster.servingPrimary().isPresent(), cluster::describe);
    return cluster.servingPrimary().orElseThrow();
  }

  /** The cluster's peers with {@code id} moved to another (free) port. */
  private List<Peer> moved(String id) {
    int port = Ports.free(1)[0];
    return cluster.peers().stream().map(p -> p.id().value().equals(id) ? new Peer(p.id(), p.kind(), "127.0.0.1:" + port) : p)
        .toList();
  }

  @Test
  void aMemberJoiningWithAnotherPeersListRefusesToStartNamingTheDifference() {
    formed();
    cluster.kill(MemberId.of("w1"));
    List<Peer> wrong = moved("pg2");
    String wrongAddress = wrong.stream().filter(p -> p.id().value().equals("pg2")).findFirst().orElseThrow().raftAddress();

    assertThatThrownBy(() -> cluster.start("w1", b -> b.peers(wrong))).isInstanceOf(FailoverException.class)
        .hasMessageContaining("configured peers [pg1, pg2@" + wrongAddress + ", w1]")
        .hasMessageContaining("differ from the cluster's [pg1, pg2@")
        .hasMessageContaining("fix the peers list")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void aMemberConfiguredWithAnotherClusterNameRefusesToStartInsteadOfWaitingForever() {
    formed();
    cluster.kill(MemberId.of("w1"));

    assertThatThrownBy(() -> cluster.start("w1", b -> b.clusterName("billing"))).isInstanceOf(FailoverException.class)
        .hasMessageContaining("configured cluster name 'billing' differs from the cluster's 'orders'")
        .hasMessageContaining("fix the cluster name");
  }

  @Test
  void aMemberThatLearnsTheClusterOnlyAfterItStartedRefusesOnceItAppliesTheState() throws Exception {
    cluster = LocalCluster.threeMembers("orders", dir, Timing.defaults());
    cluster.start("pg1");
    cluster.start("pg2");
    Await.until("pg1 and pg2 bootstrap the cluster", PATIENCE, () -> cluster.member("pg1").cluster().initialized(),
        cluster::describe);
    // The witness lists both data members at addresses where nobody answers: its start-up survey
    // hears from no peer, so it starts as if the cluster were new. The leader still reaches it.
    List<Peer> wrong = cluster.peers().stream().map(p -> p.kind() == MemberKind.WITNESS ? p
        : new Peer(p.id(), p.kind(), "127.0.0.1:" + Ports.free(1)[0])).toList();
    FailoverMember w1 = cluster.start("w1", b -> b.peers(wrong));

    String refusal = w1.refused().get(PATIENCE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    assertThat(refusal).startsWith("member w1: configured peers [pg1@").contains("differ from the cluster's [pg1@")
        .contains("fix the peers list").doesNotContain("\n");
    assertThat(w1.local().reason()).contains("refusing to run");
  }

  @Test
  void theClusterTakesItsSettingsFromADataMemberEvenWhenAWitnessLeadsFirst() {
    cluster = new LocalCluster("orders", dir, Timing.defaults(), DATA_SETTINGS,
        Map.of("pg1", MemberKind.DATA, "w1", MemberKind.WITNESS, "w2", MemberKind.WITNESS));
    // The two witnesses form a majority alone: one of them leads, and arbitrates, before pg1 runs.
    FailoverMember w1 = cluster.start("w1", b -> b.initialSettings(WITNESS_SETTINGS));
    cluster.start("w2", b -> b.initialSettings(WITNESS_SETTINGS));
    Await.until("a witness leads and has applied both witnesses' reports", PATIENCE,
        () -> w1.cluster().raftLeader().isPresent() && w1.cluster().appliedIndex() >= 3, cluster::describe);

    cluster.start("pg1");
    Await.until("pg1 serves as primary", PATIENCE, () -> cluster.servingPrimary().isPresent(), cluster::describe);
    assertThat(cluster.member("pg1").cluster().settings()).isEqualTo(DATA_SETTINGS);
  }
}

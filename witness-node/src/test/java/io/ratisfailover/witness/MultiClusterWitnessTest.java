package io.ratisfailover.witness;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.Epoch;
import io.ratisfailover.FailoverMember;
import io.ratisfailover.MemberId;
import io.ratisfailover.RaftLeaderPreference;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.Timing;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.InMemoryDatabases;
import io.ratisfailover.testing.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One witness process serves two independent clusters (say an identity provider's database and an
 * application's), one Raft group each: each fails over on its own, and the other does not notice.
 */
class MultiClusterWitnessTest {
  static final Duration PATIENCE = Duration.ofSeconds(30);

  @TempDir Path dir;

  /** The data members of one cluster, in this JVM with in-memory databases. */
  record DataMembers(String cluster, List<Peer> peers, InMemoryDatabases databases, List<FailoverMember> members) {
    Optional<FailoverMember> servingPrimary() {
      return members.stream().filter(FailoverMember::servingPrimary).findFirst();
    }
  }

  @Test
  void twoClustersFailOverIndependently() {
    int[] ports = Ports.free(6);
    DataMembers idp = cluster("idp", ports[0], ports[1], ports[2]);
    DataMembers app = cluster("app", ports[3], ports[4], ports[5]);
    List<WitnessConfig.Plan> plans = List.of(plan(idp), plan(app));
    try (WitnessMain.Witness witness = new WitnessMain.Witness(plans)) {
      witness.start();
      startAll(idp);
      startAll(app);
      FailoverMember idpPrimary = Await.value("an idp primary", PATIENCE, () -> idp.servingPrimary().orElse(null));
      FailoverMember appPrimary = Await.value("an app primary", PATIENCE, () -> app.servingPrimary().orElse(null));
      awaitStreaming(idp, idpPrimary);

      idpPrimary.close();
      idp.databases().database(idpPrimary.id()).crash();
      FailoverMember idpNext = Await.value("a new idp primary", PATIENCE,
          () -> idp.servingPrimary().filter(m -> !m.id().equals(idpPrimary.id())).orElse(null));
      assertThat(idpNext.local().epoch()).isEqualTo(Epoch.of(2));
      assertThat(appPrimary.servingPrimary()).as("app kept its primary").isTrue();
      assertThat(appPrimary.local().epoch()).isEqualTo(Epoch.of(1));

      awaitStreaming(app, appPrimary);
      appPrimary.close();
      app.databases().database(appPrimary.id()).crash();
      FailoverMember appNext = Await.value("a new app primary", PATIENCE,
          () -> app.servingPrimary().filter(m -> !m.id().equals(appPrimary.id())).orElse(null));
      assertThat(appNext.local().epoch()).isEqualTo(Epoch.of(2));
      assertThat(idpNext.servingPrimary()).as("idp kept its new primary").isTrue();
      assertThat(witness.members()).extracting(m -> m.cluster().clusterName()).containsExactly("idp", "app");
    } finally {
      idp.members().forEach(FailoverMember::close);
      app.members().forEach(FailoverMember::close);
    }
  }

  private DataMembers cluster(String name, int a, int b, int w) {
    List<Peer> peers = List.of(Peer.data(name + "1", "127.0.0.1:" + a), Peer.data(name + "2", "127.0.0.1:" + b),
        Peer.witness("w1", "127.0.0.1:" + w));
    return new DataMembers(name, peers, new InMemoryDatabases(), new ArrayList<>());
  }

  private WitnessConfig.Plan plan(DataMembers c) {
    return new WitnessConfig.Plan(c.cluster(), MemberId.of("w1"), c.peers(), dir.resolve("w1").resolve(c.cluster()),
        Timing.defaults(), false, Optional.empty(), null, Optional.empty(), Optional.empty(), RaftLeaderPreference.STANDBY);
  }

  private void startAll(DataMembers c) {
    for (Peer p : c.peers()) {
      if (p.kind() == MemberKind.DATA) {
        FailoverMember m = FailoverMember.builder().clusterName(c.cluster()).memberId(p.id()).peers(c.peers())
            .storageDirectory(dir.resolve(p.id().value())).database(c.databases().create(p.id())).insecureRaft().build();
        c.members().add(m);
        m.start();
      }
    }
  }

  private static void awaitStreaming(DataMembers c, FailoverMember primary) {
    Await.until("the standby of " + c.cluster() + " reported streaming", PATIENCE, () -> c.members().stream()
        .filter(m -> !m.id().equals(primary.id()))
        .allMatch(m -> primary.cluster().member(m.id()).flatMap(v -> v.status()).map(s -> s.isReplica()).orElse(false)));
  }
}

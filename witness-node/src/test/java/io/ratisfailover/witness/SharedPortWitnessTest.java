package io.ratisfailover.witness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.ClusterMember;
import io.ratisfailover.ClusterView;
import io.ratisfailover.Epoch;
import io.ratisfailover.FailoverMember;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.node.config.ConfigException;
import io.ratisfailover.probe.ProbeConfig;
import io.ratisfailover.probe.ProbeServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.InMemoryDatabases;
import io.ratisfailover.testing.Ports;
import io.ratisfailover.testing.RaftLeadership;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One witness, one Raft port, several clusters (configured with {@code raft.address}); clusters
 * added and removed by re-reading the configuration while the others run undisturbed.
 */
class SharedPortWitnessTest {
  static final Duration PATIENCE = Duration.ofSeconds(30);

  @TempDir Path dir;
  final int witnessPort = Ports.free(1)[0];
  final Map<String, DataMembers> clusters = new LinkedHashMap<>();
  WitnessMain.Witness witness;

  /** The two in-memory data members of one cluster, {@code <name>-pg1} and {@code <name>-pg2}. */
  record DataMembers(String name, List<Peer> peers, InMemoryDatabases databases, List<FailoverMember> members) {
    Optional<FailoverMember> servingPrimary() {
      return members.stream().filter(FailoverMember::servingPrimary).findFirst();
    }
  }

  @AfterEach
  void stop() {
    try {
      if (witness != null) {
        witness.close();
      }
    } finally {
      clusters.values().forEach(c -> c.members().forEach(FailoverMember::close));
    }
  }

  DataMembers cluster(String name) {
    return clusters.computeIfAbsent(name, n -> {
      int[] ports = Ports.free(2);
      List<Peer> peers = List.of(Peer.data(n + "-pg1", "127.0.0.1:" + ports[0]),
          Peer.data(n + "-pg2", "127.0.0.1:" + ports[1]), Peer.witness("w1", "127.0.0.1:" + witnessPort));
      return new DataMembers(n, peers, new InMemoryDatabases(), new ArrayList<>());
    });
  }

  String config(String... names) {
    StringBuilder yaml = new StringBuilder("member: w1\nstorage: " + dir.resolve("w1") + "\n"
        + "raft: {address: 127.0.0.1:" + witnessPort + ", insecure: true}\nclusters:\n");
    for (String name : names) {
      yaml.append("  - name: ").append(name).append("\n    peers:\n");
      for (Peer p : cluster(name).peers()) {
        yaml.append("      - {id: ").append(p.id()).append(", kind: ").append(p.kind() == MemberKind.DATA ? "data" : "witness")
            .append(", raft: '").append(p.raftAddress()).append("'}\n");
      }
    }
    return yaml.toString();
  }

  void startDataMembers(DataMembers c) {
    for (Peer p : c.peers()) {
      if (p.kind() == MemberKind.DATA) {
        FailoverMember m = FailoverMember.builder().clusterName(c.name()).memberId(p.id()).peers(c.peers())
            .storageDirectory(dir.resolve(p.id().value())).database(c.databases().create(p.id())).insecureRaft().build();
        c.members().add(m);
        m.start();
      }
    }
  }

  /** By the configured name: the applied state names no cluster until the witness has read the bootstrap. */
  ClusterMember witnessOf(String name) {
    return Optional.ofNullable(witness.clusters().get(name)).orElseThrow(() -> new AssertionError("w1 does not serve " + name));
  }

  /** What must not change in a cluster while others are added and removed. */
  record Steady(long term, Optional<MemberId> leader, Optional<MemberId> primary, Epoch epoch) {
    static Steady of(ClusterView v) {
      return new Steady(v.raftTerm(), v.raftLeader(), v.primary(), v.epoch());
    }
  }

  Steady settled(String name) {
    DataMembers c = clusters.get(name);
    FailoverMember primary = Await.value("a primary of " + name, PATIENCE, () -> c.servingPrimary().orElse(null));
    // Raft leadership settles on the standby (issue 14: the shared witness leads no cluster; before, on w1).
    RaftLeadership.moveTo(name, c.peers(), standbyOf(c, primary), () -> witnessOf(name).cluster().raftLeader(), PATIENCE);
    // Every member reporting too: a witness reports once a ttl, and a settled cluster is "healthy" on /clusters.
    Await.until(name + " settled", PATIENCE, () -> witnessOf(name).cluster().primary().equals(Optional.of(primary.id()))
        && witnessOf(name).cluster().history().stream().allMatch(h -> h.promoted())
        && witnessOf(name).cluster().members().stream().allMatch(m -> m.reporting()));
    return Steady.of(witnessOf(name).cluster());
  }

  static MemberId standbyOf(DataMembers c, FailoverMember primary) {
    return c.peers().stream().filter(p -> p.kind() == MemberKind.DATA && !p.id().equals(primary.id())).findFirst()
        .orElseThrow().id();
  }

  @Test
  void clustersAreAddedAndRemovedOnReloadWhileTheOthersRunUndisturbed() throws Exception {
    Path file = dir.resolve("witness.yml");
    Files.writeString(file, config("orders", "billing"));
    witness = new WitnessMain.Witness(WitnessConfig.load(file, Map.of()));
    witness.start();
    startDataMembers(cluster("orders"));
    startDataMembers(cluster("billing"));
    Steady orders = settled("orders");
    settled("billing");

    Files.writeString(file, config("orders", "stock"));
    startDataMembers(cluster("stock"));
    WitnessMain.Witness.Reload reload = WitnessMain.reload(witness, file).orElseThrow();
    assertThat(reload).hasToString("added [stock], removed [billing], restarted []");
    settled("stock");
    assertThat(witness.members()).extracting(m -> m.cluster().clusterName()).containsExactly("orders", "stock");
    assertThat(Steady.of(witnessOf("orders").cluster())).as("orders kept its Raft term, leader and primary").isEqualTo(orders);
    assertThat(clusters.get("orders").servingPrimary().map(FailoverMember::id)).isEqualTo(orders.primary());

    // Unchanged file: nothing to do.
    assertThat(WitnessMain.reload(witness, file).orElseThrow()).isEqualTo(new WitnessMain.Witness.Reload(List.of(), List.of(), List.of()));
    // A broken file changes nothing.
    Files.writeString(file, "member: w1\nclusters: []\n");
    assertThat(WitnessMain.reload(witness, file)).isEmpty();
    assertThat(witness.members()).hasSize(2);
    assertThat(Steady.of(witnessOf("orders").cluster())).isEqualTo(orders);
  }

  @Test
  void aClusterWhoseEntryDisagreesIsNotServedAndTheOthersAre() throws Exception {
    DataMembers bad = cluster("bad");
    startDataMembers(bad);
    Await.value("a primary of bad without the witness", PATIENCE, () -> bad.servingPrimary().orElse(null));
    // The witness's entry lists a third data member the cluster does not have.
    String yaml = config("orders", "bad").replace("      - {id: bad-pg2,",
        "      - {id: bad-pg3, kind: data, raft: '127.0.0.1:" + Ports.free(1)[0] + "'}\n      - {id: bad-pg2,");
    witness = new WitnessMain.Witness(WitnessConfig.parse("w.yml", yaml, Map.of()));
    witness.start();
    assertThat(witness.clusters()).containsOnlyKeys("orders");
    startDataMembers(cluster("orders"));
    settled("orders");
  }

  @Test
  void onePortServesEveryClustersViewsAndTheAuthenticatedReload() throws Exception {
    Path file = dir.resolve("witness.yml");
    Files.writeString(file, config("orders"));
    witness = new WitnessMain.Witness(WitnessConfig.load(file, Map.of()));
    witness.start();
    startDataMembers(cluster("orders"));
    settled("orders");
    ProbeConfig api = ProbeConfig.builder().host("127.0.0.1").port(0).auth("admin", "secret").build();
    try (ProbeServer port = ProbeServer.startFleet("witness w1", new WitnessMain.Directory(witness, file), api)) {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<String> list = http.send(get(port.url() + "/clusters"), BodyHandlers.ofString());
      assertThat(list.statusCode()).isEqualTo(200);
      FailoverMember primary = clusters.get("orders").servingPrimary().orElseThrow();
      assertThat(list.body()).contains("\"name\":\"orders\"", "\"health\":\"healthy\"",
          "\"raft_leader\":\"" + standbyOf(clusters.get("orders"), primary) + "\"", "\"primary\":\"" + primary.id() + "\"");
      HttpResponse<String> view = http.send(get(port.url() + "/cluster/orders/history"), BodyHandlers.ofString());
      assertThat(view.statusCode()).isEqualTo(200);
      assertThat(view.body()).contains("orders-pg");
      assertThat(http.send(get(port.url() + "/cluster/orders/health"), BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      assertThat(http.send(get(port.url() + "/cluster/nope/health"), BodyHandlers.ofString()).statusCode()).isEqualTo(404);

      Files.writeString(file, config("orders", "stock"));
      HttpRequest.Builder reload = HttpRequest.newBuilder(URI.create(port.url() + "/clusters/reload"))
          .timeout(PATIENCE).header("Content-Type", "application/json").POST(BodyPublishers.ofString("{}"));
      assertThat(http.send(reload.build(), BodyHandlers.ofString()).statusCode()).isEqualTo(401);
      HttpResponse<String> done = http.send(reload.header("Authorization", "Basic "
          + Base64.getEncoder().encodeToString("admin:secret".getBytes(StandardCharsets.UTF_8))).build(), BodyHandlers.ofString());
      assertThat(done.statusCode()).isEqualTo(200);
      assertThat(done.body()).contains("added [stock], removed [], restarted []");
      assertThat(witness.clusters()).containsOnlyKeys("orders", "stock");

      String metrics = http.send(get(port.url() + "/metrics"), BodyHandlers.ofString()).body();
      assertThat(metrics).contains("scope=\"orders\"", "scope=\"stock\"");
      assertThat(metrics.split("# TYPE ratis_failover_role ", -1)).as("one family for both clusters").hasSize(2);
    }
  }

  static HttpRequest get(String url) {
    return HttpRequest.newBuilder(URI.create(url)).timeout(PATIENCE).GET().build();
  }

  @Test
  void everyClusterMustListTheWitnessAtTheSharedAddressWithMemberIdsOfItsOwn() {
    String good = config("orders", "billing");
    assertThat(WitnessConfig.parse("w.yml", good, Map.of())).allSatisfy(p -> assertThat(p.host()).isPresent());
    String elsewhere = good.replaceFirst("id: w1, kind: witness, raft: '127.0.0.1:" + witnessPort + "'",
        "id: w1, kind: witness, raft: '127.0.0.1:1'");
    assertThatThrownBy(() -> WitnessConfig.parse("w.yml", elsewhere, Map.of())).isInstanceOf(ConfigException.class)
        .hasMessageContaining("clusters[0].peers").hasMessageContaining("serves every cluster on raft.address");
    String repeated = good.replace("billing-pg1", "orders-pg1");
    assertThatThrownBy(() -> WitnessConfig.parse("w.yml", repeated, Map.of()))
        .hasMessageContaining("member id orders-pg1 is used by another cluster of this witness");
    // One process serving data members of several clusters on a shared server of its own: one id, one address.
    String sameAddress = good.replace("billing-pg1, kind: data, raft: '" + cluster("billing").peers().get(0).raftAddress(),
        "orders-pg1, kind: data, raft: '" + cluster("orders").peers().get(0).raftAddress());
    assertThat(sameAddress).isNotEqualTo(good);
    assertThat(WitnessConfig.parse("w.yml", sameAddress, Map.of())).hasSize(2);
    String ownTls = good.replace("  - name: billing\n", "  - name: billing\n    raft: {insecure: true}\n");
    assertThatThrownBy(() -> WitnessConfig.parse("w.yml", ownTls, Map.of()))
        .hasMessageContaining("clusters[1].raft").hasMessageContaining("one TLS identity serves every cluster");
  }
}

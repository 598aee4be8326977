package io.ratisfailover.node.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.RaftTls;
import io.ratisfailover.testing.TestPki;
import io.ratisfailover.witness.WitnessConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigFilesTest {
  static final String GOOD = """
      member: w1
      storage: /var/lib/w
      timing: {ttl: 4s, loop_wait: 500ms}
      raft: {insecure: true}
      clusters:
        - name: orders
          api_listen: 127.0.0.1:8008
          peers:
            - {id: pg1, kind: data, raft: 127.0.0.1:7001}
            - {id: pg2, kind: data, raft: 127.0.0.1:7002}
            - {id: w1, kind: witness, raft: 127.0.0.1:7003}
        - name: idp
          settings: {synchronous_mode: strict, maximum_lag_on_failover: 16MB}
          peers:
            - {id: db1, kind: data, raft: 127.0.0.1:7011}
            - {id: db2, kind: data, raft: 127.0.0.1:7012}
            - {id: w1, kind: witness, raft: 127.0.0.1:7013}
      """;

  @Test
  void aGoodFileResolvesToOnePlanPerCluster() {
    List<WitnessConfig.Plan> plans = WitnessConfig.parse("witness.yml", GOOD, Map.of());
    assertThat(plans).extracting(WitnessConfig.Plan::cluster).containsExactly("orders", "idp");
    assertThat(plans.get(0).timing().ttl()).isEqualTo(Duration.ofSeconds(4));
    assertThat(plans.get(0).storage()).isEqualTo(Path.of("/var/lib/w/orders"));
    assertThat(plans).extracting(WitnessConfig.Plan::settingsIgnored).containsExactly(false, true);
  }

  @Test
  void everyProblemNamesItsKey() {
    assertProblem(GOOD.replace("ttl: 4s", "ttl: 4 seconds"), "witness.yml: timing.ttl: '4 seconds' is not a duration");
    assertProblem(GOOD.replace("ttl: 4s", "tll: 4s"), "witness.yml: unknown key 'timing.tll'");
    assertProblem(GOOD.replace("ttl: 4s", "ttl: 1s"), "witness.yml: timing: ttl (1000 ms) must exceed loop_wait");
    assertProblem(GOOD.replace("kind: witness, raft: 127.0.0.1:7003", "kind: witnes, raft: 127.0.0.1:7003"),
        "witness.yml: clusters[0].peers[2].kind: 'witnes' is not one of data, witness");
    assertProblem(GOOD.replace("raft: 127.0.0.1:7002", "raft: 127.0.0.1"),
        "witness.yml: clusters[0].peers[1].raft: raft address of peer pg2 '127.0.0.1' is not of the form host:port");
    assertProblem(GOOD.replace("synchronous_mode: strict", "synchronous_mode: always"),
        "witness.yml: clusters[1].settings.synchronous_mode: 'always' is not one of off, on, strict, quorum");
    assertProblem(GOOD.replace("member: w1", "member: w9"),
        "witness.yml: clusters[0].peers: member w9 is not among the peers of cluster orders");
    assertProblem(GOOD.replace("name: idp", "name: orders"), "witness.yml: clusters[1].name: cluster orders is listed twice");
    assertProblem("member: \"w1\nstorage: x", "witness.yml: invalid YAML at line");
    assertProblem(GOOD.replace("member: w1", "member: [w1]"), "witness.yml: member: expected a text value");
    assertProblem(GOOD.replace("storage: /var/lib/w", "storage: /var/lib/w\nclusters: 3"), "witness.yml: clusters: expected a list");
    assertProblem("", "witness.yml: the file is empty");
  }

  /** The rules FailoverMember.Builder applies hold at --check too (issue 12, item 2): this was accepted, then failed at start. */
  @Test
  void aClusterWithoutADataMemberIsRefusedWhenTheFileIsChecked() {
    assertProblem(GOOD.replace("{id: db1, kind: data,", "{id: db1, kind: witness,").replace("{id: db2, kind: data,", "{id: db2, kind: witness,"),
        "witness.yml: clusters[1].peers: the peers include no data member");
  }

  @Test
  void eachClustersRaftPortNeedsTlsFilesOrAnExplicitInsecureFlag(@TempDir Path dir) {
    RaftTls orders = TestPki.create(dir.resolve("orders"), "orders-ca").issue("w1");
    RaftTls idp = TestPki.create(dir.resolve("idp"), "idp-ca").issue("w1");
    String insecure = "raft: {insecure: true}\n";
    String ordersTls = "raft: {tls: {certificate: %s, key: %s, ca: %s}}\n".formatted(orders.certificate(), orders.key(),
        orders.ca());
    String idpTls = "    raft: {tls: {certificate: %s, key: %s, ca: %s}}\n".formatted(idp.certificate(), idp.key(), idp.ca());
    String idpEntry = "  - name: idp\n";
    // The top-level raft: serves every cluster that has none of its own.
    List<WitnessConfig.Plan> plans = WitnessConfig.parse("witness.yml",
        GOOD.replace(insecure, ordersTls).replace(idpEntry, idpEntry + idpTls), Map.of());
    assertThat(plans).extracting(WitnessConfig.Plan::raftTls).containsExactly(Optional.of(orders), Optional.of(idp));
    assertThat(WitnessConfig.parse("witness.yml", GOOD, Map.of())).allSatisfy(p -> assertThat(p.raftTls()).isEmpty());
    assertProblem(GOOD.replace(insecure, ""), "witness.yml: raft.tls: is required: this member's certificate, key and"
        + " cluster CA for mutual TLS on the Raft port (or raft.insecure: true where nobody else can reach that port)");
    assertProblem(GOOD.replace(idpEntry, idpEntry + idpTls.replace("}}", "}, insecure: true}")),
        "witness.yml: clusters[1].raft.insecure: is true but clusters[1].raft.tls is set too; choose one");
    assertProblem(GOOD.replace(insecure, ordersTls.replace("w1.key", "w1.pem")),
        "witness.yml: raft.tls: raft TLS key file " + orders.certificate() + " is 'CERTIFICATE', not an unencrypted PKCS#8");
  }

  /**
   * The probe's self-warm-up is off unless asked for, on a witness too: routers never check a witness,
   * and there it would cost 2 s of CPU and 4 MB of resident memory (its footprint is a target).
   */
  @Test
  void aWitnessApiWarmsItselfUpOnlyWhenAsked(@TempDir Path dir) throws Exception {
    String fleet = GOOD.replace("raft: {insecure: true}\n", "raft: {insecure: true}\napi_listen: 127.0.0.1:8000\n");
    Path file = Files.writeString(dir.resolve("witness.yml"), fleet);
    assertThat(WitnessConfig.parse("witness.yml", fleet, Map.of()).get(0).probe().orElseThrow().warmUp()).isFalse();
    assertThat(WitnessConfig.clustersApi(file, Map.of()).orElseThrow().warmUp()).isFalse();

    String asked = fleet.replace("api_listen: 127.0.0.1:8000\n", "api_listen: 127.0.0.1:8000\napi: {warm_up: true}\n");
    Files.writeString(file, asked);
    assertThat(WitnessConfig.parse("witness.yml", asked, Map.of()).get(0).probe().orElseThrow().warmUp()).isTrue();
    assertThat(WitnessConfig.clustersApi(file, Map.of()).orElseThrow().warmUp()).isTrue();
  }

  @Test
  void secretsComeFromTheEnvironmentOrAFileAndMissingOnesAreNamed(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("pw");
    Files.writeString(file, "s3cret\n");
    assertThat(Values.secret("api.password", "env:PW", Map.of("PW", "from-env"))).isEqualTo("from-env");
    assertThat(Values.secret("api.password", "file:" + file, Map.of())).isEqualTo("s3cret");
    assertThatThrownBy(() -> Values.secret("api.password", "env:NOPE", Map.of()))
        .hasMessage("api.password: environment variable NOPE is not set");
    assertThatThrownBy(() -> Values.secret("api.password", "file:" + dir.resolve("missing"), Map.of()))
        .hasMessageStartingWith("api.password: secret file").hasMessageEndingWith("missing does not exist");
  }

  @Test
  void aMissingFileIsNamed(@TempDir Path dir) {
    assertThatThrownBy(() -> WitnessConfig.load(dir.resolve("none.yml"), Map.of()))
        .hasMessageEndingWith("none.yml: no such file");
  }

  private static void assertProblem(String yaml, String expected) {
    assertThatThrownBy(() -> WitnessConfig.parse("witness.yml", yaml, Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageStartingWith(expected);
  }
}

package io.ratisfailover.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ratisfailover.ClusterSettings;
import io.ratisfailover.ReplicationSlot;
import io.ratisfailover.ServerParameters;
import io.ratisfailover.SynchronousMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigPatchTest {
  private static final ClusterSettings STRICT = ClusterSettings.DEFAULT.withSynchronousMode(SynchronousMode.STRICT)
      .withSynchronousNodeCount(2).withMaximumLagOnFailover(5);

  private static JsonNode json(String text) {
    try {
      return new ObjectMapper().readTree(text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ClusterSettings patch(ClusterSettings from, String body) {
    return ConfigPatch.parse(json(body), false).settings().orElseThrow().apply(from);
  }

  @Test
  void mergeChangesOnlyTheKeysGiven() {
    ClusterSettings s = patch(STRICT, "{\"maximum_lag_on_failover\": 1024, \"primary_start_timeout\": 2.5}");
    assertThat(s).isEqualTo(STRICT.withMaximumLagOnFailover(1024).withPrimaryStartTimeout(Duration.ofMillis(2500)));
  }

  @Test
  void nullResetsAKeyToItsDefault() {
    assertThat(patch(STRICT, "{\"synchronous_node_count\": null, \"maximum_lag_on_failover\": null}"))
        .isEqualTo(STRICT.withSynchronousNodeCount(1).withMaximumLagOnFailover(ClusterSettings.DEFAULT.maximumLagOnFailover()));
  }

  @Test
  void replaceResetsEverythingNotGiven() {
    ConfigPatch put = ConfigPatch.parse(json("{\"switchover_timeout\": 10}"), true);
    assertThat(put.settings().orElseThrow().apply(STRICT))
        .isEqualTo(ClusterSettings.DEFAULT.withSwitchoverTimeout(Duration.ofSeconds(10)));
    assertThat(put.pause()).hasValue(false);
  }

  @Test
  void patronisTwoSynchronousKeysMapOntoOneMode() {
    ClusterSettings off = ClusterSettings.DEFAULT;
    assertThat(patch(off, "{\"synchronous_mode\": true}").synchronousMode()).isEqualTo(SynchronousMode.ON);
    assertThat(patch(off, "{\"synchronous_mode\": true, \"synchronous_mode_strict\": true}").synchronousMode())
        .isEqualTo(SynchronousMode.STRICT);
    assertThat(patch(off, "{\"synchronous_mode\": \"strict\"}").synchronousMode()).isEqualTo(SynchronousMode.STRICT);
    assertThat(patch(STRICT, "{\"synchronous_mode_strict\": false}").synchronousMode()).isEqualTo(SynchronousMode.ON);
    assertThat(patch(STRICT, "{\"synchronous_mode\": false}").synchronousMode()).isEqualTo(SynchronousMode.OFF);
    assertThat(patch(STRICT.withSynchronousMode(SynchronousMode.ON), "{\"synchronous_mode_strict\": \"on\"}")
        .synchronousMode()).isEqualTo(SynchronousMode.STRICT);
    assertThatThrownBy(() -> patch(off, "{\"synchronous_mode_strict\": true}")).hasMessageContaining("needs synchronous_mode");
  }

  @Test
  void quorumCommitIsPatronisQuorumWordAndSurvivesAnEditOfTheRenderedDocument() {
    ClusterSettings quorum = patch(ClusterSettings.DEFAULT, "{\"synchronous_mode\": \"quorum\", \"synchronous_node_count\": 2}");
    assertThat(quorum.synchronousMode()).isEqualTo(SynchronousMode.QUORUM);
    assertThat(quorum.synchronousNodeCount()).isEqualTo(2);
    // What rfctl edit-config sends back: the rendered document, one value changed.
    com.fasterxml.jackson.databind.node.ObjectNode doc = Documents.config(quorum, false);
    assertThat(doc.path("synchronous_mode").asText()).isEqualTo("quorum");
    doc.put("synchronous_node_count", 1);
    ClusterSettings edited = ConfigPatch.parse(doc, true).settings().orElseThrow().apply(quorum);
    assertThat(edited.synchronousMode()).isEqualTo(SynchronousMode.QUORUM);
    assertThat(edited.synchronousNodeCount()).isEqualTo(1);
    assertThat(patch(quorum, "{\"maximum_lag_on_failover\": 1}").synchronousMode()).isEqualTo(SynchronousMode.QUORUM);
    assertThat(patch(quorum, "{\"synchronous_mode\": true}").synchronousMode()).isEqualTo(SynchronousMode.ON);
    assertThat(patch(quorum, "{\"synchronous_mode\": false}").synchronousMode()).isEqualTo(SynchronousMode.OFF);
    assertThatThrownBy(() -> patch(ClusterSettings.DEFAULT, "{\"synchronous_mode\": \"quorum\", \"synchronous_mode_strict\": true}"))
        .hasMessageContaining("does not combine with synchronous_mode: quorum");
  }

  @Test
  void pauseAloneTouchesNoSetting() {
    ConfigPatch p = ConfigPatch.parse(json("{\"pause\": true}"), false);
    assertThat(p.settings()).isEmpty();
    assertThat(p.pause()).hasValue(true);
  }

  @Test
  void patronisOldNameForPrimaryStartTimeoutIsAccepted() {
    assertThat(patch(STRICT, "{\"master_start_timeout\": 30}").primaryStartTimeout()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void wrongTypesAndUnknownKeysAreRefusedNamingTheKey() {
    assertThatThrownBy(() -> ConfigPatch.parse(json("{\"pause\": \"maybe\"}"), false)).hasMessageContaining("pause");
    assertThatThrownBy(() -> ConfigPatch.parse(json("{\"synchronous_node_count\": 1.5}"), false))
        .hasMessageContaining("synchronous_node_count");
    assertThatThrownBy(() -> ConfigPatch.parse(json("{\"primary_start_timeout\": -1}"), false))
        .hasMessageContaining("primary_start_timeout");
    assertThatThrownBy(() -> ConfigPatch.parse(json("{\"loop_wait\": 10}"), false)).hasMessageContaining("static per member");
    assertThatThrownBy(() -> ConfigPatch.parse(json("{\"postgresql\": {\"bin_dir\": \"/x\"}}"), false))
        .hasMessageContaining("postgresql.bin_dir");
    assertThatThrownBy(() -> ConfigPatch.parse(json("[]"), false)).hasMessageContaining("JSON object");
    assertThatThrownBy(() -> patch(STRICT, "{\"synchronous_node_count\": 99}")).hasMessageContaining("synchronous_node_count");
  }

  private static final ServerParameters SOME = new ServerParameters(Map.of("work_mem", "4MB", "jit", "off"),
      List.of("host all app 10.0.0.0/8 scram-sha-256"));

  @Test
  void postgresqlParametersMergeByNameAndNullRemovesOne() {
    ClusterSettings s = patch(ClusterSettings.DEFAULT.withPostgresql(SOME),
        "{\"postgresql\": {\"parameters\": {\"work_mem\": \"64MB\", \"jit\": null, \"max_connections\": 200,"
            + " \"log_checkpoints\": true}}}");
    assertThat(s.postgresql().parameters())
        .isEqualTo(Map.of("work_mem", "64MB", "max_connections", "200", "log_checkpoints", "true"));
    assertThat(s.postgresql().pgHba()).isEqualTo(SOME.pgHba());
  }

  @Test
  void pgHbaIsReplacedWholeAndPutEmptiesWhatIsNotGiven() {
    ClusterSettings s = patch(ClusterSettings.DEFAULT.withPostgresql(SOME),
        "{\"postgresql\": {\"pg_hba\": [\"hostssl all all 0.0.0.0/0 cert\"]}}");
    assertThat(s.postgresql()).isEqualTo(SOME.withPgHba(List.of("hostssl all all 0.0.0.0/0 cert")));
    assertThat(patch(ClusterSettings.DEFAULT.withPostgresql(SOME), "{\"postgresql\": null}").postgresql())
        .isEqualTo(ServerParameters.NONE);
    ConfigPatch put = ConfigPatch.parse(json("{\"switchover_timeout\": 10}"), true);
    assertThat(put.settings().orElseThrow().apply(ClusterSettings.DEFAULT.withPostgresql(SOME)).postgresql())
        .isEqualTo(ServerParameters.NONE);
  }

  private static final Map<String, ReplicationSlot> SLOTS = Map.of("archiver", ReplicationSlot.physical(),
      "orders_cdc", ReplicationSlot.logical("orders", "pgoutput"));

  @Test
  void slotsMergeByNameNullRemovesOneAndOtherKeysKeepThem() {
    ClusterSettings with = ClusterSettings.DEFAULT.withPostgresql(SOME.withSlots(SLOTS));
    ClusterSettings s = patch(with, "{\"slots\": {\"archiver\": null, \"wal_g\": {\"type\": \"physical\"},"
        + " \"orders_cdc\": {\"type\": \"logical\", \"database\": \"orders\", \"plugin\": \"wal2json\"}}}");
    assertThat(s.postgresql().slots()).isEqualTo(Map.of("wal_g", ReplicationSlot.physical(),
        "orders_cdc", ReplicationSlot.logical("orders", "wal2json")));
    assertThat(s.postgresql().parameters()).isEqualTo(SOME.parameters());
    // Clearing the parameters, or a PUT that names only slots, leaves or sets slots alone.
    assertThat(patch(with, "{\"postgresql\": null}").postgresql().slots()).isEqualTo(SLOTS);
    assertThat(patch(with, "{\"postgresql\": {\"parameters\": {\"work_mem\": \"8MB\"}}}").postgresql().slots())
        .isEqualTo(SLOTS);
    assertThat(patch(with, "{\"slots\": null}").postgresql()).isEqualTo(SOME);
    ConfigPatch put = ConfigPatch.parse(json("{\"slots\": {\"wal_g\": {\"type\": \"physical\"}}}"), true);
    assertThat(put.settings().orElseThrow().apply(with).postgresql())
        .isEqualTo(ServerParameters.NONE.withSlots(Map.of("wal_g", ReplicationSlot.physical())));
    ConfigPatch putOther = ConfigPatch.parse(json("{\"switchover_timeout\": 10}"), true);
    assertThat(putOther.settings().orElseThrow().apply(with).postgresql()).isEqualTo(ServerParameters.NONE);
  }

  @Test
  void aWrongSlotIsRefusedNamingIt() {
    assertThatThrownBy(() -> ConfigPatch.parse(json("{\"slots\": {\"cdc\": {\"type\": \"logical\", \"database\": \"x\"}}}"), false))
        .hasMessage("slots.cdc: a logical slot needs database and plugin");
    assertThatThrownBy(() -> ConfigPatch.parse(json("{\"slots\": {\"cdc\": {\"type\": \"other\"}}}"), false))
        .hasMessage("slots.cdc.type must be physical or logical, got other");
    assertThatThrownBy(() -> ConfigPatch.parse(json("{\"slots\": {\"cdc\": {\"database\": \"x\"}}}"), false))
        .hasMessage("slots.cdc has no type (physical or logical)");
    assertThatThrownBy(() -> ConfigPatch.parse(json("{\"slots\": {\"Bad-Name\": {\"type\": \"physical\"}}}"), false))
        .hasMessageContaining("'Bad-Name' is not a slot name");
    assertThatThrownBy(() -> ConfigPatch.parse(json("{\"slots\": {\"cdc\": {\"type\": \"physical\", \"temp\": \"x\"}}}"), false))
        .hasMessage("unknown setting 'slots.cdc.temp'; a slot has type, database and plugin");
    assertThatThrownBy(() -> ConfigPatch.parse(json("{\"slots\": [\"a\"]}"), false)).hasMessageContaining("slots must be a mapping");
  }

  @Test
  void aParameterTheAdapterOwnsIsRefusedBeforeAnythingIsSubmitted() {
    assertThatThrownBy(() -> ConfigPatch.parse(json("{\"postgresql\": {\"parameters\": {\"primary_conninfo\": \"host=x\"}}}"), false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("postgresql.parameters.primary_conninfo is set by each member's adapter and cannot be set for the cluster");
    assertThatThrownBy(() -> ConfigPatch.parse(json("{\"postgresql\": {\"parameters\": {\"work_mem\": \"1\\nport=1\"}}}"), false))
        .hasMessageContaining("postgresql.parameters.work_mem must be one line");
    assertThatThrownBy(() -> ConfigPatch.parse(json("{\"postgresql\": {\"parameters\": {\"work_mem\": [1]}}}"), false))
        .hasMessageContaining("postgresql.parameters.work_mem must be a single value");
    assertThatThrownBy(() -> ConfigPatch.parse(json("{\"postgresql\": {\"pg_hba\": \"host all\"}}"), false))
        .hasMessageContaining("postgresql.pg_hba must be a list");
  }
}

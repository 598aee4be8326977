package io.ratisfailover.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ratisfailover.ClusterSettings;
import io.ratisfailover.SynchronousMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
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
    assertThatThrownBy(() -> patch(off, "{\"synchronous_mode\": \"quorum\"}")).hasMessageContaining("quorum");
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
    assertThatThrownBy(() -> ConfigPatch.parse(json("{\"postgresql\": {}}"), false)).hasMessageContaining("pg-adapter");
    assertThatThrownBy(() -> ConfigPatch.parse(json("[]"), false)).hasMessageContaining("JSON object");
    assertThatThrownBy(() -> patch(STRICT, "{\"synchronous_node_count\": 99}")).hasMessageContaining("synchronous_node_count");
  }
}

package io.ratisfailover.probe;

import static io.ratisfailover.probe.Scene.MB;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.ratisfailover.ClusterSettings;
import io.ratisfailover.Epoch;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.Tags;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DocumentsTest {
  private static Scene usual() {
    return Scene.cluster().primary("pg1", 10 * MB).replica("pg2", 10 * MB, 8 * MB).witness("w1");
  }

  @Test
  void primaryStatusHasPatronisKeysAndOurs() {
    JsonNode s = Documents.status(usual().synchronous("pg2").as("pg1").observe());
    assertThat(s.path("state").asText()).isEqualTo("running");
    assertThat(s.path("role").asText()).isEqualTo("primary");
    assertThat(s.path("xlog").path("location").asLong()).isEqualTo(10 * MB);
    assertThat(s.path("timeline").asLong()).isEqualTo(2);
    assertThat(s.path("replication").get(0).path("application_name").asText()).isEqualTo("pg2");
    assertThat(s.path("replication").get(0).path("state").asText()).isEqualTo("streaming");
    assertThat(s.path("replication").get(0).path("sync_state").asText()).isEqualTo("sync");
    assertThat(s.path("database_system_identifier").asText()).isEqualTo("7000000000000000001");
    assertThat(s.path("patroni").path("scope").asText()).isEqualTo("demo");
    assertThat(s.has("cluster_unlocked")).isFalse();
    assertThat(s.has("pause")).isFalse();
    assertThat(s.path("epoch").asLong()).isEqualTo(3);
    assertThat(s.path("lease_remaining_ms").asLong()).isEqualTo(2000);
    assertThat(s.path("serving_primary").asBoolean()).isTrue();
    assertThat(s.path("agent_role").asText()).isEqualTo("primary");
  }

  @Test
  void replicaStatusShowsReceivedAndReplayedPositionsAndItsTags() {
    JsonNode s = Documents.status(usual().tags("pg2", new Tags(true, false, false, 1, Map.of("dc", "east")))
        .as("pg2").observe());
    assertThat(s.path("role").asText()).isEqualTo("replica");
    assertThat(s.path("xlog").path("received_location").asLong()).isEqualTo(10 * MB);
    assertThat(s.path("xlog").path("replayed_location").asLong()).isEqualTo(8 * MB);
    assertThat(s.path("replication_state").asText()).isEqualTo("streaming");
    assertThat(s.path("tags").path("nofailover").asText()).isEqualTo("true");
    assertThat(s.path("tags").path("dc").asText()).isEqualTo("east");
    assertThat(s.path("lease_remaining_ms").asLong()).isZero();
  }

  @Test
  void aCandidateIsPromotedAndAnUnlockedPausedClusterSaysSo() {
    assertThat(Documents.status(usual().promoting().as("pg1").observe()).path("role").asText()).isEqualTo("promoted");
    JsonNode s = Documents.status(usual().noPrimary().paused().as("pg2").observe());
    assertThat(s.path("cluster_unlocked").asBoolean()).isTrue();
    assertThat(s.path("pause").asBoolean()).isTrue();
  }

  @Test
  void aPendingRestartIsShownOnlyWhenThereIsOne() {
    Scene scene = usual().pendingRestart("pg2");
    assertThat(Documents.status(scene.as("pg2").observe()).path("pending_restart").asBoolean()).isTrue();
    assertThat(Documents.status(scene.as("pg1").observe()).has("pending_restart")).isFalse();
    JsonNode members = Documents.cluster(scene.clusterView()).path("members");
    assertThat(members.get(0).has("pending_restart")).isFalse();
    assertThat(members.get(1).path("pending_restart").asBoolean()).isTrue();
  }

  @Test
  void aWitnessHasNoPostgresKeys() {
    JsonNode s = Documents.status(usual().as("w1").observe());
    assertThat(s.path("role").asText()).isEqualTo("witness");
    assertThat(s.has("state")).isFalse();
    assertThat(s.has("xlog")).isFalse();
    assertThat(s.path("arbiter").asBoolean()).isTrue();
  }

  @Test
  void clusterListsMembersByNameWithRolesLagsAndAScheduledSwitchover() {
    JsonNode c = Documents.cluster(usual().switchoverScheduled("pg1", "pg2", Scene.T0.plusSeconds(60)).clusterView());
    JsonNode pg1 = c.path("members").get(0);
    JsonNode pg2 = c.path("members").get(1);
    JsonNode w1 = c.path("members").get(2);
    assertThat(pg1.path("name").asText()).isEqualTo("pg1");
    assertThat(pg1.path("role").asText()).isEqualTo("leader");
    assertThat(pg1.path("state").asText()).isEqualTo("running");
    assertThat(pg1.path("host").asText()).isEqualTo("127.0.0.1");
    assertThat(pg1.path("port").asInt()).isEqualTo(5432);
    assertThat(pg1.has("lag")).isFalse();
    assertThat(pg2.path("role").asText()).isEqualTo("replica");
    assertThat(pg2.path("state").asText()).isEqualTo("streaming");
    assertThat(pg2.path("lsn").asText()).isEqualTo(Lsn.of(10 * MB).toString());
    assertThat(pg2.path("lag").asLong()).isZero();
    assertThat(pg2.path("replay_lag").asLong()).isEqualTo(2 * MB);
    assertThat(pg2.path("timeline").asLong()).isEqualTo(2);
    assertThat(w1.path("role").asText()).isEqualTo("witness");
    assertThat(w1.path("kind").asText()).isEqualTo("witness");
    assertThat(c.path("scheduled_switchover").path("from").asText()).isEqualTo("pg1");
    assertThat(c.path("scheduled_switchover").path("to").asText()).isEqualTo("pg2");
    assertThat(c.path("raft_leader").asText()).isEqualTo("w1");
  }

  @Test
  void aMemberThatStoppedReportingIsUnreachableNotRunning() {
    JsonNode members = Documents.cluster(usual().silent("pg2").silent("w1").clusterView()).path("members");
    assertThat(members.get(0).path("state").asText()).isEqualTo("running");
    assertThat(members.get(1).path("state").asText()).isEqualTo("unreachable");
    assertThat(members.get(2).path("state").asText()).isEqualTo("unreachable");
  }

  @Test
  void aPrimaryNotYetPromotedIsListedAsPromoted() {
    assertThat(Documents.cluster(usual().promoting().clusterView()).path("members").get(0).path("role").asText())
        .isEqualTo("promoted");
  }

  @Test
  void historyHasOneObjectPerEpoch() {
    Scene scene = usual().history(new HistoryEntry(Epoch.of(1), MemberId.of("pg1"), HistoryEntry.Cause.BOOTSTRAP,
        "bootstrap", Scene.T0, 1, Optional.of(Lsn.of(MB))));
    JsonNode h = Documents.history(scene.clusterView());
    assertThat(h).hasSize(2);
    assertThat(h.get(0).path("cause").asText()).isEqualTo("bootstrap");
    assertThat(h.get(0).path("timeline").asLong()).isEqualTo(1);
    assertThat(h.get(0).path("lsn").asText()).isEqualTo("0/100000");
    assertThat(h.get(1).path("epoch").asLong()).isEqualTo(3);
    assertThat(h.get(1).path("new_leader").asText()).isEqualTo("pg1");
    assertThat(h.get(1).path("timestamp").asText()).isEqualTo("2030-01-01T00:00:00Z");
  }

  @Test
  void configUsesPatronisKeysAndSeconds() {
    ClusterSettings s = ClusterSettings.DEFAULT.withSynchronousMode(SynchronousMode.STRICT)
        .withPrimaryStartTimeout(Duration.ofMillis(1500)).withPostgresql(new io.ratisfailover.ServerParameters(
            java.util.Map.of("work_mem", "64MB"), java.util.List.of("host all all 10.0.0.0/8 scram-sha-256"),
            java.util.Map.of("orders_cdc", io.ratisfailover.ReplicationSlot.logical("orders", "pgoutput"),
                "archiver", io.ratisfailover.ReplicationSlot.physical())));
    JsonNode c = Documents.config(s, true);
    assertThat(c.path("slots").toString()).isEqualTo("{\"archiver\":{\"type\":\"physical\"},"
        + "\"orders_cdc\":{\"type\":\"logical\",\"database\":\"orders\",\"plugin\":\"pgoutput\"}}");
    assertThat(c.path("postgresql").path("parameters").path("work_mem").asText()).isEqualTo("64MB");
    assertThat(c.path("postgresql").path("pg_hba").get(0).asText()).isEqualTo("host all all 10.0.0.0/8 scram-sha-256");
    assertThat(c.path("synchronous_mode").asBoolean()).isTrue();
    assertThat(c.path("synchronous_mode_strict").asBoolean()).isTrue();
    assertThat(c.path("primary_start_timeout").toString()).isEqualTo("1.5");
    assertThat(c.path("switchover_timeout").toString()).isEqualTo("30");
    assertThat(c.path("pause").asBoolean()).isTrue();
  }
}

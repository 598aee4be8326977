package io.ratisfailover.probe;

import static io.ratisfailover.probe.Scene.MB;
import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.ratisfailover.Epoch;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.MemberId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ProbeMetricsTest {
  private static HistoryEntry entry(long epoch, HistoryEntry.Cause cause) {
    return new HistoryEntry(Epoch.of(epoch), MemberId.of("pg1"), cause, "why", Scene.T0, epoch, Optional.empty());
  }

  private static String scrape(ProbeMetrics metrics) throws IOException {
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.register(metrics);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.builder().setIncludeCreatedTimestamps(false).build().write(out, registry.scrape());
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void aPrimaryReportsPatronisGaugesAndOurs() throws IOException {
    Observation o = Scene.cluster().primary("pg1", 10 * MB).replica("pg2", 10 * MB, 8 * MB).witness("w1")
        .as("pg1").observe();
    ProbeMetrics metrics = new ProbeMetrics(() -> o, () -> 3);
    metrics.requestAnswered(200);
    metrics.requestAnswered(200);
    metrics.requestAnswered(503);
    String text = scrape(metrics);
    String labels = "{name=\"pg1\",scope=\"demo\"}";
    assertThat(text)
        .contains("patroni_primary" + labels + " 1.0")
        .contains("patroni_replica" + labels + " 0.0")
        .contains("patroni_xlog_location" + labels + " " + (double) (10 * MB))
        .contains("patroni_postgres_timeline" + labels + " 2.0")
        .contains("patroni_pending_restart" + labels + " 0.0")
        .contains("ratis_failover_serving_primary" + labels + " 1.0")
        .contains("ratis_failover_role{name=\"pg1\",role=\"primary\",scope=\"demo\"} 1.0")
        .contains("ratis_failover_role{name=\"pg1\",role=\"replica\",scope=\"demo\"} 0.0")
        .contains("ratis_failover_lease_remaining_seconds" + labels + " 2.0")
        .contains("ratis_failover_raft_term" + labels + " 7.0")
        .contains("ratis_failover_raft_leader{leader=\"w1\",name=\"pg1\",scope=\"demo\"} 1.0")
        .contains("ratis_failover_member_replication_lag_bytes{member=\"pg2\",name=\"pg1\",scope=\"demo\"} "
            + (double) (2 * MB))
        .contains("ratis_failover_agent_loop_duration_seconds" + labels + " 0.002")
        .contains("ratis_failover_probe_requests_total{code=\"200\",name=\"pg1\",scope=\"demo\"} 2.0")
        .contains("# TYPE ratis_failover_failovers_total counter");
  }

  @Test
  void failoversAndSwitchoversAreCountedFromHistoryCausesAndNeverGoDown() throws IOException {
    AtomicReference<Scene> scene = new AtomicReference<>(Scene.cluster().primary("pg1", MB).witness("w1")
        .history(entry(1, HistoryEntry.Cause.BOOTSTRAP)).history(entry(2, HistoryEntry.Cause.LEASE_EXPIRED))
        .history(entry(3, HistoryEntry.Cause.SWITCHOVER)));
    ProbeMetrics metrics = new ProbeMetrics(() -> scene.get().as("w1").observe(), () -> 0);
    String labels = "{name=\"w1\",scope=\"demo\"}";
    String first = scrape(metrics);
    assertThat(first).contains("ratis_failover_failovers_total" + labels + " 1.0")
        .contains("ratis_failover_switchovers_total" + labels + " 1.0")
        .contains("ratis_failover_primary_changes_total{cause=\"bootstrap\",name=\"w1\",scope=\"demo\"} 1.0");
    // The history keeps only recent epochs: older ones fall out, newer ones come in.
    scene.set(Scene.cluster().primary("pg1", MB).witness("w1").history(entry(3, HistoryEntry.Cause.SWITCHOVER))
        .history(entry(4, HistoryEntry.Cause.RELEASED)).history(entry(5, HistoryEntry.Cause.FAILOVER)));
    String second = scrape(metrics);
    assertThat(second).contains("ratis_failover_failovers_total" + labels + " 2.0")
        .contains("ratis_failover_switchovers_total" + labels + " 2.0")
        .contains("ratis_failover_primary_changes_total{cause=\"bootstrap\",name=\"w1\",scope=\"demo\"} 1.0");
  }
}

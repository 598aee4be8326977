package io.ratisfailover.internal.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.junit.jupiter.api.Test;

/** Ratis finds the registries that keep no samples, and nothing else, on the class path of the core. */
class DiscardedRatisMetricsTest {
  @Test
  void ratisUsesTheRegistriesThatKeepNoSamples() {
    assertThat(MetricRegistries.global()).isInstanceOf(DiscardedRatisMetrics.class);
  }

  @Test
  void countersCountAndTimersCostNothing() {
    MetricRegistries registries = new DiscardedRatisMetrics();
    MetricRegistryInfo info = new MetricRegistryInfo("pg1@group-1", "ratis", "server", "test");
    RatisMetricRegistry registry = registries.create(info);
    registry.counter("appends").inc();
    registry.counter("appends").inc(2);
    assertThat(registry.counter("appends").getCount()).isEqualTo(3);
    assertThat(registry.timer("append").time().stop()).isZero();
    assertThat(registries.get(info)).containsSame(registry);
    assertThat(registries.remove(info)).isTrue();
    assertThat(registries.getMetricRegistries()).isEmpty();
  }
}

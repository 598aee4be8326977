package io.ratisfailover.probe;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code /metrics} answers: one member's scrape, or every cluster's in one. */
final class Scrapes {
  private Scrapes() {}

  /** The Prometheus text answer for {@code snapshots}. */
  static Answer answer(MetricSnapshots snapshots) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
    try {
      PrometheusTextFormatWriter.builder().setIncludeCreatedTimestamps(false).build().write(out, snapshots);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Answer(200, PrometheusTextFormatWriter.CONTENT_TYPE, out.toByteArray(), Map.of(), false, "metrics");
  }

  /**
   * Every cluster's metrics in one scrape of the clusters port. A metric family may appear once per
   * scrape, so each family's series from all clusters are put together; their {@code scope} label
   * (the cluster name, as on each member's own {@code /metrics}) tells the clusters apart.
   */
  static MetricSnapshots merged(List<MetricSnapshots> perCluster) {
    Map<String, List<MetricSnapshot>> byName = new LinkedHashMap<>();
    for (MetricSnapshots snapshots : perCluster) {
      for (MetricSnapshot s : snapshots) {
        byName.computeIfAbsent(s.getMetadata().getName(), n -> new ArrayList<>()).add(s);
      }
    }
    MetricSnapshots.Builder out = MetricSnapshots.builder();
    byName.values().forEach(family -> out.metricSnapshot(merge(family)));
    return out.build();
  }

  private static MetricSnapshot merge(List<MetricSnapshot> family) {
    MetricSnapshot first = family.get(0);
    if (family.size() == 1) {
      return first;
    }
    String name = first.getMetadata().getName();
    String help = first.getMetadata().getHelp();
    if (first instanceof GaugeSnapshot) {
      GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
      family.forEach(s -> ((GaugeSnapshot) s).getDataPoints().forEach(b::dataPoint));
      return b.build();
    }
    if (first instanceof CounterSnapshot) {
      CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
      family.forEach(s -> ((CounterSnapshot) s).getDataPoints().forEach(b::dataPoint));
      return b.build();
    }
    throw new IllegalStateException("metric " + name + " is a " + first.getClass().getSimpleName()
        + ", which the clusters port cannot merge");
  }
}

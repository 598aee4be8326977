package io.ratisfailover.internal.ratis;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.ratis.metrics.LongCounter;
import org.apache.ratis.metrics.MetricRegistries;
import org.apache.ratis.metrics.MetricRegistryInfo;
import org.apache.ratis.metrics.RatisMetricRegistry;
import org.apache.ratis.metrics.Timekeeper;
import org.apache.ratis.util.TimeDuration;

/**
 * Ratis's metric registries, with nothing timed and no gauge kept (found by Ratis through
 * {@code META-INF/services}). Ratis's default implementation keeps a decaying reservoir of samples
 * for each of its timers, per Raft group: some 0.75 MB of heap per group on a witness serving many
 * clusters, and a locked sample on every log append. Nobody read them: the members publish their own
 * metrics on {@code /metrics}. Counters still count, in case Ratis reads one back.
 */
public final class DiscardedRatisMetrics extends MetricRegistries {
  private static final Timekeeper.Context STOPPED = () -> 0L;
  private static final Timekeeper UNTIMED = () -> STOPPED;

  private final Map<MetricRegistryInfo, RatisMetricRegistry> registries = new ConcurrentHashMap<>();

  @Override
  public void clear() {
    registries.clear();
  }

  @Override
  public RatisMetricRegistry create(MetricRegistryInfo info) {
    return registries.computeIfAbsent(info, Registry::new);
  }

  @Override
  public boolean remove(MetricRegistryInfo info) {
    return registries.remove(info) != null;
  }

  @Override
  public Optional<RatisMetricRegistry> get(MetricRegistryInfo info) {
    return Optional.ofNullable(registries.get(info));
  }

  @Override
  public Set<MetricRegistryInfo> getMetricRegistryInfos() {
    return Set.copyOf(registries.keySet());
  }

  @Override
  public Collection<RatisMetricRegistry> getMetricRegistries() {
    return List.copyOf(registries.values());
  }

  @Override
  public void addReporterRegistration(Consumer<RatisMetricRegistry> onAdd, Consumer<RatisMetricRegistry> onRemove) {
    // Nothing is reported: no JMX beans, no console.
  }

  @Override
  public void enableJmxReporter() {
  }

  @Override
  public void enableConsoleReporter(TimeDuration period) {
  }

  /** One component's metrics: counters only. */
  private static final class Registry implements RatisMetricRegistry {
    private final MetricRegistryInfo info;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    Registry(MetricRegistryInfo info) {
      this.info = info;
    }

    @Override
    public Timekeeper timer(String name) {
      return UNTIMED;
    }

    @Override
    public LongCounter counter(String name) {
      return counters.computeIfAbsent(name, n -> new Counter());
    }

    @Override
    public boolean remove(String name) {
      return counters.remove(name) != null;
    }

    @Override
    public <T> void gauge(String name, Supplier<Supplier<T>> gaugeSupplier) {
    }

    @Override
    public MetricRegistryInfo getMetricRegistryInfo() {
      return info;
    }
  }

  private static final class Counter implements LongCounter {
    private final AtomicLong count = new AtomicLong();

    @Override
    public void inc(long n) {
      count.addAndGet(n);
    }

    @Override
    public void dec(long n) {
      count.addAndGet(-n);
    }

    @Override
    public long getCount() {
      return count.get();
    }
  }
}

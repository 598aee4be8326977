package io.ratisfailover.probe;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.ratisfailover.ClusterView;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.LocalRole;
import io.ratisfailover.LocalView;
import io.ratisfailover.MemberKind;
import io.ratisfailover.MemberView;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.DatabaseStatus;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * {@code GET /metrics}: a snapshot of the member, built at scrape time from its views, plus the
 * probe's own counters. Every series carries Patroni's labels {@code scope} (cluster) and
 * {@code name} (member).
 *
 * <p>Patroni's metric names are kept where the meaning carries over ({@code patroni_primary},
 * {@code patroni_replica}, {@code patroni_xlog_*}, ...), so existing dashboards keep working; they
 * are all exported as gauges (Patroni declares a few WAL positions as counters, but their value
 * is a position, not a count). {@code patroni_primary} is 1 only while this member serves as
 * primary (lease valid and database read-write), which is stricter than Patroni's.
 */
final class ProbeMetrics implements MultiCollector {
  private final Supplier<Observation> observe;
  private final Map<Integer, LongAdder> requests = new ConcurrentHashMap<>();
  private final LongAdder rejectedConnections = new LongAdder();
  private final Supplier<Integer> openConnections;
  /** Changes of primary counted so far, by cause; see {@link #countHistory}. */
  private final Map<HistoryEntry.Cause, Long> changes = new EnumMap<>(HistoryEntry.Cause.class);
  private long countedThroughEpoch = -1;

  ProbeMetrics(Supplier<Observation> observe, Supplier<Integer> openConnections) {
    this.observe = observe;
    this.openConnections = openConnections;
    for (HistoryEntry.Cause c : HistoryEntry.Cause.values()) {
      changes.put(c, 0L);
    }
  }

  void requestAnswered(int status) {
    requests.computeIfAbsent(status, s -> new LongAdder()).increment();
  }

  void connectionRejected() {
    rejectedConnections.increment();
  }

  @Override
  public MetricSnapshots collect() {
    Observation o = observe.get();
    LocalView local = o.local();
    ClusterView cluster = o.cluster();
    Labels base = Labels.of("scope", local.clusterName(), "name", local.id().value());
    Metrics m = new Metrics(base);
    boolean data = local.kind() == MemberKind.DATA;
    DatabaseStatus db = local.database().orElse(null);
    DatabaseState state = db == null ? DatabaseState.UNKNOWN : db.state();

    // Patroni's names
    m.gauge("patroni_postgres_running", "1 if PostgreSQL is running, 0 otherwise.",
        bool(state == DatabaseState.RUNNING_PRIMARY || state == DatabaseState.RUNNING_REPLICA));
    m.gauge("patroni_primary", "1 if this member serves as primary (valid lease, database read-write), 0 otherwise.",
        bool(o.servingPrimary()));
    m.gauge("patroni_replica", "1 if this member's PostgreSQL runs as a replica, 0 otherwise.",
        bool(state == DatabaseState.RUNNING_REPLICA));
    m.gauge("patroni_sync_standby", "1 if this member is a synchronous standby, 0 otherwise.",
        bool(o.isSynchronousStandby()));
    m.gauge("patroni_xlog_location", "Current WAL write position of the primary in bytes, 0 on other members.",
        db != null && db.isPrimary() ? db.writeLsn().value() : 0);
    m.gauge("patroni_xlog_received_location", "WAL received by this replica in bytes, 0 on other members.",
        db != null && db.isReplica() ? db.receivedLsn().value() : 0);
    m.gauge("patroni_xlog_replayed_location", "WAL replayed by this replica in bytes, 0 on other members.",
        db != null && db.isReplica() ? db.replayedLsn().value() : 0);
    m.gauge("patroni_postgres_timeline", "PostgreSQL timeline of this member, 0 if unknown.",
        db == null ? 0 : db.timeline());
    m.gauge("patroni_pending_restart", "1 if PostgreSQL has a changed setting waiting for a restart, 0 otherwise.",
        bool(db != null && db.pendingRestart()));
    m.gauge("patroni_cluster_unlocked", "1 if the cluster has no primary, 0 otherwise.", bool(cluster.primary().isEmpty()));
    m.gauge("patroni_is_paused", "1 if automatic failover is paused (maintenance mode), 0 otherwise.",
        bool(cluster.paused()));

    // ours
    GaugeSnapshot.Builder roles = GaugeSnapshot.builder().name("ratis_failover_role")
        .help("1 for this member's current role as its agent sees it, 0 for the others.");
    for (LocalRole r : LocalRole.values()) {
      roles.dataPoint(GaugeDataPointSnapshot.builder().labels(base.add("role", r.name().toLowerCase(Locale.ROOT)))
          .value(bool(local.role() == r)).build());
    }
    m.add(roles.build());
    m.gauge("ratis_failover_serving_primary", "1 while this member may answer 200 on /primary.", bool(o.servingPrimary()));
    m.gauge("ratis_failover_epoch", "The cluster's epoch (fencing token) as this member applied it.",
        local.epoch().value());
    m.gauge("ratis_failover_lease_remaining_seconds", "Seconds of primary lease left on this member; 0 when it holds none.",
        local.leaseRemaining().toNanos() / 1e9);
    m.gauge("ratis_failover_paused", "1 if the cluster is paused.", bool(cluster.paused()));
    m.gauge("ratis_failover_arbiter", "1 if this member leads the Raft group and runs the arbiter.", bool(local.arbiter()));
    m.gauge("ratis_failover_raft_term", "The Raft term as this member knows it.", cluster.raftTerm());
    m.gauge("ratis_failover_raft_applied_index", "The last Raft log index this member applied.", cluster.appliedIndex());
    cluster.raftLeader().ifPresent(leader -> m.add(GaugeSnapshot.builder().name("ratis_failover_raft_leader")
        .help("1, labelled with the member leading the Raft group.")
        .dataPoint(GaugeDataPointSnapshot.builder().labels(base.add("leader", leader.value())).value(1).build())
        .build()));
    m.gauge("ratis_failover_agent_loop_duration_seconds", "How long the agent's last decision cycle took.",
        local.lastCycle().toNanos() / 1e9);
    m.gauge("ratis_failover_agent_loop_age_seconds", "How long ago the agent's last decision cycle ended.",
        local.sinceLastCycle().toNanos() / 1e9);
    if (data && db != null) {
      GaugeSnapshot.Builder wal = GaugeSnapshot.builder().name("ratis_failover_wal_position_bytes")
          .help("This member's WAL positions in bytes: written (primary), received and replayed (replica).");
      wal.dataPoint(point(base.add("position", "write"), db.writeLsn().value()));
      wal.dataPoint(point(base.add("position", "received"), db.receivedLsn().value()));
      wal.dataPoint(point(base.add("position", "replayed"), db.replayedLsn().value()));
      m.add(wal.build());
    }
    OptionalLong ownLag = o.lagBytes(false);
    if (ownLag.isPresent()) {
      m.gauge("ratis_failover_replication_lag_bytes", "How far this replica's replay is behind the primary's last"
          + " reported position.", ownLag.getAsLong());
    }
    memberLag(cluster, base, m);
    countHistory(cluster);
    CounterSnapshot.Builder byCause = CounterSnapshot.builder().name("ratis_failover_primary_changes")
        .help("Changes of primary seen in the replicated history since this probe started, by cause.");
    long failovers = 0;
    long switchovers = 0;
    synchronized (this) {
      for (Map.Entry<HistoryEntry.Cause, Long> e : changes.entrySet()) {
        byCause.dataPoint(CounterDataPointSnapshot.builder()
            .labels(base.add("cause", e.getKey().name().toLowerCase(Locale.ROOT))).value(e.getValue()).build());
        if (e.getKey().planned()) {
          switchovers += e.getValue();
        } else if (e.getKey() != HistoryEntry.Cause.BOOTSTRAP) {
          failovers += e.getValue();
        }
      }
    }
    m.add(byCause.build());
    m.counter("ratis_failover_failovers", "Unplanned changes of primary (lease expired or released).", failovers);
    m.counter("ratis_failover_switchovers", "Planned changes of primary (operator switchover or failover).", switchovers);

    // the probe itself
    CounterSnapshot.Builder answered = CounterSnapshot.builder().name("ratis_failover_probe_requests")
        .help("HTTP requests answered by this probe, by status code.");
    requests.forEach((status, count) -> answered.dataPoint(CounterDataPointSnapshot.builder()
        .labels(base.add("code", Integer.toString(status))).value(count.sum()).build()));
    m.add(answered.build());
    m.counter("ratis_failover_probe_connections_rejected", "Connections closed at once because the probe had"
        + " max_connections open.", rejectedConnections.sum());
    m.gauge("ratis_failover_probe_open_connections", "Connections open to this probe.", openConnections.get());
    return m.build();
  }

  private static void memberLag(ClusterView cluster, Labels base, Metrics m) {
    OptionalLong primary = cluster.primary().flatMap(cluster::member).flatMap(MemberView::status)
        .filter(DatabaseStatus::isPrimary).map(s -> OptionalLong.of(s.writeLsn().value())).orElse(OptionalLong.empty());
    if (primary.isEmpty()) {
      return;
    }
    GaugeSnapshot.Builder lag = GaugeSnapshot.builder().name("ratis_failover_member_replication_lag_bytes")
        .help("How far each replica's replay is behind the primary, from their last reports.");
    boolean any = false;
    for (MemberView member : cluster.members()) {
      if (member.status().map(DatabaseStatus::isReplica).orElse(false)) {
        long behind = Math.max(0, primary.getAsLong() - member.status().get().replayedLsn().value());
        lag.dataPoint(point(base.add("member", member.id().value()), behind));
        any = true;
      }
    }
    if (any) {
      m.add(lag.build());
    }
  }

  /**
   * Counts each epoch of the replicated history once, by its cause. The history keeps only the last
   * epochs, so counting what it holds at each scrape could go down; remembering the last counted
   * epoch keeps the counters monotonic, as Prometheus counters must be. They start from the epochs
   * the history holds when the probe starts.
   */
  private synchronized void countHistory(ClusterView cluster) {
    long through = countedThroughEpoch;
    for (HistoryEntry h : cluster.history()) {
      if (h.epoch().value() > countedThroughEpoch) {
        changes.merge(h.cause(), 1L, Long::sum);
        through = Math.max(through, h.epoch().value());
      }
    }
    countedThroughEpoch = through;
  }

  private static double bool(boolean value) {
    return value ? 1 : 0;
  }

  private static GaugeDataPointSnapshot point(Labels labels, double value) {
    return GaugeDataPointSnapshot.builder().labels(labels).value(value).build();
  }

  /** Collects snapshots with the common labels. */
  private static final class Metrics {
    private final Labels base;
    private final MetricSnapshots.Builder out = MetricSnapshots.builder();

    Metrics(Labels base) {
      this.base = base;
    }

    void gauge(String name, String help, double value) {
      add(GaugeSnapshot.builder().name(name).help(help).dataPoint(point(base, value)).build());
    }

    void counter(String name, String help, double value) {
      add(CounterSnapshot.builder().name(name).help(help)
          .dataPoint(CounterDataPointSnapshot.builder().labels(base).value(value).build()).build());
    }

    void add(MetricSnapshot snapshot) {
      out.metricSnapshot(snapshot);
    }

    MetricSnapshots build() {
      return out.build();
    }
  }
}

package io.ratisfailover.probe;

import io.ratisfailover.ClusterView;
import io.ratisfailover.LocalView;
import io.ratisfailover.MemberKind;
import io.ratisfailover.MemberRole;
import io.ratisfailover.MemberView;
import io.ratisfailover.Tags;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.ReplicaInfo;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What one request sees of the member: its own view, the cluster as it applied it, and whether it
 * may answer 200 on {@code /primary}, all read once from memory at the start of the request so
 * that every part of the answer describes the same moment.
 *
 * @param servingPrimary {@code ClusterMember.servingPrimary()} read for this request (the lease is
 *     evaluated at that instant), and not held off
 * @param holdOff while the member serves but {@code /primary} is held at 503 for routers (see
 *     {@link PrimaryHoldOff}), how much longer; zero otherwise
 */
record Observation(LocalView local, ClusterView cluster, boolean servingPrimary, Duration holdOff) {

  Observation {
    Objects.requireNonNull(local, "local");
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(holdOff, "holdOff");
  }

  Observation(LocalView local, ClusterView cluster, boolean servingPrimary) {
    this(local, cluster, servingPrimary, Duration.ZERO);
  }

  boolean isWitness() {
    return local.kind() == MemberKind.WITNESS;
  }

  Optional<DatabaseStatus> database() {
    return local.database();
  }

  DatabaseState databaseState() {
    return local.database().map(DatabaseStatus::state).orElse(DatabaseState.UNKNOWN);
  }

  /** This member as the replicated state records it (tags, role), once its first report was applied. */
  Optional<MemberView> self() {
    return cluster.member(local.id());
  }

  Tags tags() {
    return self().map(MemberView::tags).orElse(Tags.DEFAULT);
  }

  MemberRole recordedRole() {
    return self().map(MemberView::role).orElse(isWitness() ? MemberRole.WITNESS : MemberRole.REPLICA);
  }

  boolean isSynchronousStandby() {
    return cluster.synchronousStandbys().contains(local.id());
  }

  /** The primary's WAL position as it last reported it, if there is a primary other than this member. */
  OptionalLong primaryPosition() {
    return cluster.primary().filter(p -> !p.equals(local.id())).flatMap(cluster::member)
        .flatMap(MemberView::status).filter(DatabaseStatus::isPrimary)
        .map(s -> OptionalLong.of(s.writeLsn().value())).orElse(OptionalLong.empty());
  }

  /**
   * How far this replica's {@code replayed} (or, with {@code received}, its flushed) WAL is behind
   * the primary, Patroni's way: the primary's position is the larger of what it last reported and
   * what this replica has already received (Patroni's {@code latest_end_lsn}). Empty when it cannot
   * be known: no primary, or the primary has not reported a position.
   */
  OptionalLong lagBytes(boolean received) {
    OptionalLong primary = primaryPosition();
    Optional<DatabaseStatus> db = local.database().filter(DatabaseStatus::isReplica);
    if (primary.isEmpty() || db.isEmpty()) {
      return OptionalLong.empty();
    }
    long leader = Math.max(primary.getAsLong(), db.get().receivedLsn().value());
    long mine = received ? db.get().receivedLsn().value() : db.get().replayedLsn().value();
    return OptionalLong.of(Math.max(0, leader - mine));
  }

  /**
   * Patroni's {@code replication_state} of this replica, from the primary's last report of its
   * connected standbys: {@code streaming}, {@code catchup}, or {@code stopped} when the primary
   * does not list it. Empty when this member is not a running replica.
   */
  Optional<String> replicationState() {
    if (databaseState() != DatabaseState.RUNNING_REPLICA) {
      return Optional.empty();
    }
    return Optional.of(cluster.primary().flatMap(cluster::member).flatMap(MemberView::status)
        .flatMap(s -> s.replicas().stream().filter(r -> r.member().equals(local.id())).findFirst())
        .map(r -> r.streaming() ? "streaming" : "catchup").orElse("stopped"));
  }

  /** The primary's view of the standby {@code info} as Patroni names its states. */
  static String replicationState(ReplicaInfo info) {
    return info.streaming() ? "streaming" : "catchup";
  }

  /**
   * Tags the way Patroni shows and filters them: free-form tags as they are, Patroni's own tags
   * only when they differ from the default (Patroni lists only tags that are set).
   */
  static Map<String, String> effectiveTags(Tags tags) {
    Map<String, String> out = new LinkedHashMap<>();
    if (tags.noFailover()) {
      out.put("nofailover", "true");
    }
    if (tags.noLoadBalance()) {
      out.put("noloadbalance", "true");
    }
    if (tags.noSync()) {
      out.put("nosync", "true");
    }
    if (tags.failoverPriority() != Tags.DEFAULT.failoverPriority()) {
      out.put("failover_priority", Integer.toString(tags.failoverPriority()));
    }
    out.putAll(tags.custom());
    return out;
  }
}

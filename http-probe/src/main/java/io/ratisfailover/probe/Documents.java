package io.ratisfailover.probe;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ratisfailover.ClusterSettings;
import io.ratisfailover.ClusterView;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.LocalRole;
import io.ratisfailover.LocalView;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberKind;
import io.ratisfailover.MemberRole;
import io.ratisfailover.MemberView;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.ReplicaInfo;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The JSON documents of the API, with Patroni's keys where they apply ({@code /patroni},
 * {@code /cluster}, {@code /config}) and ours next to them. Built from views only.
 */
final class Documents {
  private static final JsonNodeFactory json = JsonNodeFactory.instance;

  private Documents() {}

  /**
   * {@code GET /patroni}, and the body of a GET health check. Patroni's keys: {@code state},
   * {@code role}, {@code xlog}, {@code timeline}, {@code replication}, {@code replication_state},
   * {@code sync_standby}, {@code pause}, {@code cluster_unlocked}, {@code tags},
   * {@code database_system_identifier}, {@code patroni} (with {@code version} when run from the
   * jar). Not known here, so absent: {@code server_version}, {@code postmaster_start_time}, {@code xlog.replayed_timestamp},
   * {@code xlog.paused}. Ours: {@code epoch}, {@code lease_remaining_ms}, {@code arbiter},
   * {@code serving_primary}, {@code agent_role}, {@code agent_reason}, {@code raft_leader}.
   */
  static ObjectNode status(Observation o) {
    LocalView local = o.local();
    ClusterView cluster = o.cluster();
    ObjectNode doc = json.objectNode();
    Optional<DatabaseStatus> db = local.database();
    if (!o.isWitness()) {
      doc.put("state", postgresState(db));
    }
    doc.put("role", postgresRole(o));
    db.filter(s -> !o.isWitness()).ifPresent(s -> {
      if (s.isPrimary()) {
        doc.putObject("xlog").put("location", s.writeLsn().value());
      } else if (s.isReplica()) {
        ObjectNode xlog = doc.putObject("xlog");
        xlog.put("received_location", s.receivedLsn().value());
        xlog.put("replayed_location", s.replayedLsn().value());
      }
      if (s.timeline() > 0) {
        doc.put("timeline", s.timeline());
      }
      if (s.isPrimary() && !s.replicas().isEmpty()) {
        ArrayNode replication = doc.putArray("replication");
        for (ReplicaInfo r : s.replicas()) {
          replication.addObject().put("application_name", r.member().value())
              .put("state", Observation.replicationState(r))
              .put("sync_state", r.syncState().name().toLowerCase(Locale.ROOT));
        }
      }
    });
    o.replicationState().ifPresent(state -> doc.put("replication_state", state));
    if (o.isSynchronousStandby()) {
      doc.put("sync_standby", true);
    }
    if (cluster.paused()) {
      doc.put("pause", true);
    }
    if (cluster.primary().isEmpty()) {
      doc.put("cluster_unlocked", true);
    }
    Map<String, String> tags = Observation.effectiveTags(o.tags());
    if (!tags.isEmpty()) {
      ObjectNode t = doc.putObject("tags");
      tags.forEach(t::put);
    }
    db.flatMap(DatabaseStatus::systemIdentifier).ifPresent(id -> doc.put("database_system_identifier", id));
    // As Patroni: present only when true, after a changed setting that needs a restart.
    if (db.filter(DatabaseStatus::pendingRestart).isPresent()) {
      doc.put("pending_restart", true);
    }
    ObjectNode software = doc.putObject("patroni").put("scope", local.clusterName()).put("name", local.id().value());
    // From the jar's manifest, as Patroni reports its own version here; absent when run from classes.
    Optional.ofNullable(Documents.class.getPackage().getImplementationVersion()).ifPresent(v -> software.put("version", v));
    doc.put("epoch", local.epoch().value());
    doc.put("lease_remaining_ms", local.leaseRemaining().toMillis());
    doc.put("arbiter", local.arbiter());
    doc.put("serving_primary", o.servingPrimary());
    doc.put("agent_role", local.role().name().toLowerCase(Locale.ROOT));
    doc.put("agent_reason", local.reason());
    cluster.raftLeader().ifPresent(l -> doc.put("raft_leader", l.value()));
    return doc;
  }

  /** PostgreSQL's state in Patroni's words. */
  static String postgresState(Optional<DatabaseStatus> db) {
    return switch (db.map(DatabaseStatus::state).orElse(DatabaseState.UNKNOWN)) {
      case ABSENT, STOPPED -> "stopped";
      case STARTING, RECOVERING -> "starting";
      case RUNNING_PRIMARY, RUNNING_REPLICA -> "running";
      case UNKNOWN -> "unknown";
    };
  }

  /**
   * Patroni's {@code role}: what PostgreSQL is (read-write primary or in recovery), with
   * {@code promoted} while this member is elected but not promoted yet, {@code demoted} while it
   * steps down, {@code uninitialized} before it has data, and our {@code witness}.
   */
  static String postgresRole(Observation o) {
    if (o.isWitness()) {
      return "witness";
    }
    LocalRole role = o.local().role();
    if (role == LocalRole.CANDIDATE) {
      return "promoted";
    }
    return switch (o.databaseState()) {
      case RUNNING_PRIMARY -> "primary";
      case RUNNING_REPLICA, RECOVERING -> "replica";
      case ABSENT -> "uninitialized";
      case STOPPED, STARTING, UNKNOWN -> role == LocalRole.PRIMARY ? "primary"
          : role == LocalRole.DEMOTING ? "demoted" : "replica";
    };
  }

  /**
   * {@code GET /cluster}: Patroni's {@code cluster_as_json} keys ({@code members} with
   * {@code name}, {@code role}, {@code state}, {@code api_url}, {@code host}, {@code port},
   * {@code timeline}, {@code tags}, {@code lsn}, {@code receive_lsn}, {@code replay_lsn},
   * {@code lag}, {@code receive_lag}, {@code replay_lag}; {@code pause};
   * {@code scheduled_switchover}; {@code scope}), plus ours: each member's {@code kind} and
   * {@code status_age_ms}, and the cluster's {@code epoch}, {@code raft_leader}, {@code raft_term}.
   */
  static ObjectNode cluster(ClusterView cluster) {
    ObjectNode doc = json.objectNode();
    ArrayNode members = doc.putArray("members");
    OptionalLong clusterLsn = cluster.primary().flatMap(cluster::member).flatMap(MemberView::status)
        .filter(DatabaseStatus::isPrimary).map(s -> OptionalLong.of(s.writeLsn().value())).orElse(OptionalLong.empty());
    Optional<DatabaseStatus> primaryStatus = cluster.primary().flatMap(cluster::member).flatMap(MemberView::status);
    boolean promoting = cluster.history().stream().filter(h -> h.epoch().equals(cluster.epoch())).findFirst()
        .map(h -> !h.promoted()).orElse(false);
    for (MemberView m : cluster.members().stream().sorted(Comparator.comparing(MemberView::id)).toList()) {
      ObjectNode member = members.addObject();
      member.put("name", m.id().value());
      member.put("role", switch (m.role()) {
        case PRIMARY -> promoting ? "promoted" : "leader";
        case SYNC_STANDBY -> "sync_standby";
        case REPLICA -> "replica";
        case WITNESS -> "witness";
      });
      member.put("state", memberState(m, primaryStatus));
      if (!m.apiUrl().isEmpty()) {
        member.put("api_url", m.apiUrl());
      }
      String host = m.attributes().get("host");
      if (host != null) {
        member.put("host", host);
        String port = m.attributes().get("port");
        if (port != null) {
          try {
            member.put("port", Integer.parseInt(port));
          } catch (NumberFormatException e) {
            member.put("port", port);
          }
        }
      }
      m.status().filter(s -> s.timeline() > 0).ifPresent(s -> member.put("timeline", s.timeline()));
      if (m.status().filter(DatabaseStatus::pendingRestart).isPresent()) {
        member.put("pending_restart", true);
      }
      Map<String, String> tags = Observation.effectiveTags(m.tags());
      if (!tags.isEmpty()) {
        ObjectNode t = member.putObject("tags");
        tags.forEach(t::put);
      }
      if (m.kind() == MemberKind.DATA && m.role() != MemberRole.PRIMARY) {
        Optional<DatabaseStatus> s = m.status().filter(DatabaseStatus::isReplica);
        putLsn(member, "", s.map(DatabaseStatus::position), clusterLsn);
        putLsn(member, "receive_", s.map(DatabaseStatus::receivedLsn), clusterLsn);
        putLsn(member, "replay_", s.map(DatabaseStatus::replayedLsn), clusterLsn);
      }
      member.put("kind", m.kind().name().toLowerCase(Locale.ROOT));
      m.statusAge().ifPresent(age -> member.put("status_age_ms", age.toMillis()));
    }
    if (cluster.paused()) {
      doc.put("pause", true);
    }
    cluster.switchover().filter(p -> p.scheduledAt().isPresent()).ifPresent(p -> {
      ObjectNode s = doc.putObject("scheduled_switchover");
      s.put("at", p.scheduledAt().get().toString());
      p.from().ifPresent(f -> s.put("from", f.value()));
      p.to().ifPresent(t -> s.put("to", t.value()));
    });
    doc.put("scope", cluster.clusterName());
    doc.put("epoch", cluster.epoch().value());
    cluster.raftLeader().ifPresent(l -> doc.put("raft_leader", l.value()));
    doc.put("raft_term", cluster.raftTerm());
    return doc;
  }

  /** Patroni shows a replica's replication state where it has one, else PostgreSQL's state. */
  private static String memberState(MemberView m, Optional<DatabaseStatus> primaryStatus) {
    if (m.statusAge().isEmpty()) {
      return "unknown";
    }
    if (!m.reporting()) {
      // Its last report describes a past that may be long gone: do not show it as running.
      return "unreachable";
    }
    if (m.kind() == MemberKind.WITNESS) {
      return "running";
    }
    if (m.role() != MemberRole.PRIMARY && m.status().map(DatabaseStatus::isReplica).orElse(false)) {
      Optional<ReplicaInfo> seen = primaryStatus.flatMap(p -> p.replicas().stream()
          .filter(r -> r.member().equals(m.id())).findFirst());
      if (seen.isPresent()) {
        return Observation.replicationState(seen.get());
      }
    }
    return postgresState(m.status());
  }

  private static void putLsn(ObjectNode member, String prefix, Optional<Lsn> lsn, OptionalLong cluster) {
    if (lsn.isEmpty() || lsn.get().value() == 0) {
      member.put(prefix + "lsn", "unknown");
      member.put(prefix + "lag", "unknown");
      return;
    }
    member.put(prefix + "lsn", lsn.get().toString());
    if (cluster.isPresent()) {
      member.put(prefix + "lag", Math.max(0, cluster.getAsLong() - lsn.get().value()));
    } else {
      member.put(prefix + "lag", "unknown");
    }
  }

  /**
   * {@code GET /history}. Patroni answers a list of {@code [timeline, lsn, reason, timestamp,
   * new_leader]} lists; we answer one object per epoch with those names as keys, plus
   * {@code epoch} and a machine-readable {@code cause} ({@code bootstrap}, {@code lease_expired},
   * {@code released}, {@code switchover}, {@code failover}). {@code timeline} is the timeline the
   * new primary promoted to, once it did; {@code lsn} the WAL position it started from.
   */
  static ArrayNode history(ClusterView cluster) {
    ArrayNode doc = json.arrayNode();
    for (HistoryEntry h : cluster.history()) {
      ObjectNode e = doc.addObject();
      e.put("epoch", h.epoch().value());
      if (h.promoted()) {
        e.put("timeline", h.timeline());
      }
      h.switchLsn().ifPresent(lsn -> e.put("lsn", lsn.toString()));
      e.put("cause", h.cause().name().toLowerCase(Locale.ROOT));
      e.put("reason", h.reason());
      e.put("timestamp", h.electedAt().toString());
      e.put("new_leader", h.member().value());
    }
    return doc;
  }

  /**
   * {@code GET /config}: the dynamic settings under Patroni's key names. Patroni's
   * {@code synchronous_mode} plus {@code synchronous_mode_strict} map onto our one
   * {@link SynchronousMode} (quorum commit is {@code "quorum"}, as in Patroni 4); durations are in
   * seconds, as in Patroni.
   */
  static ObjectNode config(ClusterSettings settings, boolean paused) {
    ObjectNode doc = json.objectNode();
    if (settings.synchronousMode() == SynchronousMode.QUORUM) {
      doc.put("synchronous_mode", "quorum");
    } else {
      doc.put("synchronous_mode", settings.synchronousMode() != SynchronousMode.OFF);
    }
    doc.put("synchronous_mode_strict", settings.synchronousMode() == SynchronousMode.STRICT);
    doc.put("synchronous_node_count", settings.synchronousNodeCount());
    doc.put("maximum_lag_on_failover", settings.maximumLagOnFailover());
    doc.put("primary_start_timeout", seconds(settings.primaryStartTimeout()));
    doc.put("switchover_timeout", seconds(settings.switchoverTimeout()));
    ObjectNode postgresql = doc.putObject("postgresql");
    ObjectNode parameters = postgresql.putObject("parameters");
    settings.postgresql().sortedParameters().forEach(parameters::put);
    settings.postgresql().pgHba().forEach(postgresql.putArray("pg_hba")::add);
    ObjectNode slots = doc.putObject("slots");
    settings.postgresql().slots().forEach((name, slot) -> {
      ObjectNode s = slots.putObject(name).put("type", slot.isLogical() ? "logical" : "physical");
      slot.database().ifPresent(d -> s.put("database", d));
      slot.plugin().ifPresent(p -> s.put("plugin", p));
    });
    doc.put("pause", paused);
    return doc;
  }

  /** Whole seconds as an integer, fractions with millisecond precision: how Patroni's config writes durations. */
  static BigDecimal seconds(Duration d) {
    BigDecimal s = BigDecimal.valueOf(d.toMillis(), 3).stripTrailingZeros();
    return s.scale() < 0 ? s.setScale(0) : s;
  }

  /** An error answer's body: {@code {"error": "..."}}. */
  static ObjectNode error(String message) {
    return json.objectNode().put("error", message);
  }

  /** A success answer's body: {@code {"message": "..."}}. */
  static ObjectNode message(String message) {
    return json.objectNode().put("message", message);
  }
}

package io.ratisfailover.probe;

import io.ratisfailover.LocalRole;
import io.ratisfailover.spi.DatabaseState;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * The health checks routers poll, with Patroni's paths and status codes, decided from an
 * {@link Observation} alone: pure functions, no I/O, so they are safe on the event loop and
 * testable without a server.
 *
 * <p>Where we deliberately differ from Patroni ({@code patroni/api.py}, {@code do_GET}):
 * <ul>
 *   <li>{@code /primary} answers 200 only while {@code servingPrimary}: this member holds a valid
 *       lease for the current epoch <em>and</em> its database last reported read-write. Patroni
 *       follows its leader key only, so it answers 200 while PostgreSQL is still in recovery or
 *       failing to start (Patroni issues #2972, #3603, #2756), which sends writes to a server that
 *       refuses them, or, after a partition, to two servers.</li>
 *   <li>Paths match exactly (a trailing slash is ignored); Patroni matches substrings, so
 *       {@code /replicas} works there and is an unknown path (503) here.</li>
 *   <li>An unreadable {@code ?lag=} is a 400, not "no limit".</li>
 *   <li>A witness has no database: it never answers 200 on a check about PostgreSQL roles;
 *       {@code /health}, {@code /liveness} and {@code /readiness} report its agent.</li>
 *   <li>There are no standby clusters and no quorum commit: {@code /standby-leader} always
 *       answers 503, {@code /quorum} and {@code /read-only-quorum} are unknown paths (503).</li>
 * </ul>
 */
enum HealthCheck {
  PRIMARY(false, "/", "/primary", "/master", "/read-write"),
  LEADER(false, "/leader"),
  STANDBY_LEADER(false, "/standby-leader", "/standby_leader"),
  REPLICA(true, "/replica"),
  READ_ONLY(true, "/read-only"),
  READ_ONLY_SYNC(true, "/read-only-sync", "/read-only-synchronous"),
  SYNCHRONOUS(true, "/synchronous", "/sync"),
  ASYNCHRONOUS(true, "/asynchronous", "/async"),
  HEALTH(true, "/health"),
  LIVENESS(false, "/liveness"),
  READINESS(false, "/readiness"),
  /** Any other path: Patroni answers 503 to a GET, HEAD or OPTIONS it does not know, and so do we. */
  UNKNOWN(false);

  /** Whether {@code ?tag_<name>=<value>} filters apply; Patroni ignores them for the leader checks. */
  private final boolean tagFilters;
  private final List<String> paths;

  HealthCheck(boolean tagFilters, String... paths) {
    this.tagFilters = tagFilters;
    this.paths = List.of(paths);
  }

  List<String> paths() {
    return paths;
  }

  /** The check a path names; empty for paths that are not health checks (status, admin, unknown). */
  static Optional<HealthCheck> forPath(String path) {
    for (HealthCheck check : values()) {
      if (check.paths.contains(path)) {
        return Optional.of(check);
      }
    }
    return Optional.empty();
  }

  /** The outcome of a check: the status code and, for people reading GET bodies and logs, why. */
  record Verdict(int status, String reason) {
    static Verdict ok(String reason) {
      return new Verdict(200, reason);
    }

    static Verdict unavailable(String reason) {
      return new Verdict(503, reason);
    }

    boolean ok() {
      return status == 200;
    }
  }

  /**
   * The query of a health check, validated.
   *
   * @param maxLag {@code ?lag=}: replicas further behind the primary answer 503
   * @param tags {@code ?tag_<name>=<value>}: members without that tag value answer 503
   * @param replicationState {@code ?replication_state=}: replicas in another state answer 503
   * @param receivedLag {@code /readiness?mode=write}: measure lag on received rather than replayed WAL
   */
  record Query(OptionalLong maxLag, Map<String, String> tags, Optional<String> replicationState, boolean receivedLag) {
    static final Query NONE = new Query(OptionalLong.empty(), Map.of(), Optional.empty(), false);

    Query {
      tags = Map.copyOf(tags);
    }

    /**
     * @param params decoded query parameters; the first value of each counts, as in Patroni
     * @throws IllegalArgumentException naming the parameter, for a 400 answer
     */
    static Query parse(Map<String, List<String>> params) {
      OptionalLong lag = OptionalLong.empty();
      Map<String, String> tags = new TreeMap<>();
      Optional<String> state = Optional.empty();
      boolean received = false;
      for (Map.Entry<String, List<String>> e : params.entrySet()) {
        String name = e.getKey();
        String value = e.getValue().isEmpty() ? "" : e.getValue().get(0);
        if (name.equals("lag")) {
          try {
            lag = OptionalLong.of(ByteSize.parse(value));
          } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("query parameter lag: " + ex.getMessage(), ex);
          }
        } else if (name.startsWith("tag_") && name.length() > 4) {
          tags.put(name.substring(4), value);
        } else if (name.equals("replication_state")) {
          state = Optional.of(value);
        } else if (name.equals("mode")) {
          if (!value.equals("write") && !value.equals("apply")) {
            throw new IllegalArgumentException("query parameter mode must be 'write' or 'apply', got '" + value + "'");
          }
          received = value.equals("write");
        }
        // Other parameters are ignored, as Patroni ignores them (routers add cache busters).
      }
      return new Query(lag, tags, state, received);
    }
  }

  /** Decides this check for {@code o}, applying the query's filters where Patroni applies them. */
  Verdict evaluate(Observation o, Query q, Duration livenessThreshold) {
    Verdict v = switch (this) {
      case PRIMARY -> primary(o);
      case LEADER -> leader(o);
      case STANDBY_LEADER -> Verdict.unavailable("standby clusters are not supported: there is no standby leader");
      case REPLICA -> replica(o, q);
      case READ_ONLY -> o.servingPrimary() ? Verdict.ok("serving as primary") : replica(o, q);
      case READ_ONLY_SYNC -> o.servingPrimary() ? Verdict.ok("serving as primary") : synchronous(o, q);
      case SYNCHRONOUS -> synchronous(o, q);
      case ASYNCHRONOUS -> o.isSynchronousStandby()
          ? Verdict.unavailable("a synchronous standby, not an asynchronous one") : replica(o, q);
      case HEALTH -> health(o);
      case LIVENESS -> liveness(o, livenessThreshold);
      case READINESS -> readiness(o, q);
      case UNKNOWN -> Verdict.unavailable("not a health check path");
    };
    return tagFilters && v.ok() ? tagsMatch(o, q).orElse(v) : v;
  }

  private static Verdict primary(Observation o) {
    if (o.servingPrimary()) {
      return Verdict.ok("serving as primary with a valid lease in epoch " + o.local().epoch());
    }
    if (o.isWitness()) {
      return Verdict.unavailable("a witness is never the primary");
    }
    if (!o.holdOff().isZero()) {
      return Verdict.unavailable("serving, but held at 503 for another " + o.holdOff().toMillis()
          + " ms so that routers drop the previous primary first (primary_hold_off)");
    }
    return Verdict.unavailable(switch (o.local().role()) {
      case CANDIDATE -> "elected for epoch " + o.local().epoch() + " but not promoted yet";
      case PRIMARY -> o.local().leaseRemaining().isZero() ? "primary lease has lapsed"
          : "database is not running read-write (" + o.databaseState() + ")";
      case DEMOTING -> "stepping down as primary";
      default -> "not the primary (" + o.local().role().name().toLowerCase(Locale.ROOT) + ")";
    });
  }

  /**
   * Patroni's {@code /leader} answers 200 to the holder of the leader key even while its
   * PostgreSQL is still promoting. Ours: the member elected for the current epoch, while its lease
   * is valid, promoted or not. Like the lease, at most one member holds this at a time.
   */
  private static Verdict leader(Observation o) {
    LocalRole role = o.local().role();
    boolean elected = o.cluster().primary().filter(o.local().id()::equals).isPresent();
    if (elected && (role == LocalRole.PRIMARY || role == LocalRole.CANDIDATE) && !o.local().leaseRemaining().isZero()) {
      return Verdict.ok("holds the lease for epoch " + o.local().epoch());
    }
    return Verdict.unavailable("does not hold the primary lease");
  }

  private static Verdict replica(Observation o, Query q) {
    if (o.isWitness()) {
      return Verdict.unavailable("a witness has no database to read from");
    }
    if (o.local().role() != LocalRole.REPLICA) {
      return Verdict.unavailable("not a replica (" + o.local().role().name().toLowerCase(Locale.ROOT) + ")");
    }
    if (o.databaseState() != DatabaseState.RUNNING_REPLICA) {
      return Verdict.unavailable("database is not running as a standby (" + o.databaseState() + ")");
    }
    if (o.tags().noLoadBalance()) {
      return Verdict.unavailable("tagged noloadbalance");
    }
    if (q.maxLag().isPresent()) {
      OptionalLong lag = o.lagBytes(false);
      // Like Patroni: with no known primary position the replica counts as not lagging (no writes
      // can be happening without a primary that reports).
      if (lag.isPresent() && lag.getAsLong() > q.maxLag().getAsLong()) {
        return Verdict.unavailable("replay is " + lag.getAsLong() + " bytes behind the primary, more than lag="
            + q.maxLag().getAsLong());
      }
    }
    if (q.replicationState().isPresent()) {
      String state = o.replicationState().orElse("stopped");
      if (!state.equals(q.replicationState().get())) {
        return Verdict.unavailable("replication state is " + state + ", not " + q.replicationState().get());
      }
    }
    return Verdict.ok("running as a replica");
  }

  private static Verdict synchronous(Observation o, Query q) {
    return o.isSynchronousStandby() ? replica(o, q) : Verdict.unavailable("not a synchronous standby");
  }

  private static Verdict health(Observation o) {
    if (o.isWitness()) {
      return o.local().role() == LocalRole.WITNESS ? Verdict.ok("witness agent is running")
          : Verdict.unavailable("witness agent is " + o.local().role().name().toLowerCase(Locale.ROOT));
    }
    DatabaseState state = o.databaseState();
    return state == DatabaseState.RUNNING_PRIMARY || state == DatabaseState.RUNNING_REPLICA
        ? Verdict.ok("database is running") : Verdict.unavailable("database is " + state);
  }

  /**
   * Patroni: 200 while paused, or while its loop ran within ttl (primary) or 2 x ttl (replica).
   * Ours: the agent loop completed a cycle within the configured threshold; paused counts as alive.
   */
  private static Verdict liveness(Observation o, Duration threshold) {
    if (o.local().role() == LocalRole.STOPPED) {
      return Verdict.unavailable("member is stopped");
    }
    if (o.local().paused()) {
      return Verdict.ok("cluster is paused");
    }
    Duration age = o.local().sinceLastCycle();
    return age.compareTo(threshold) <= 0 ? Verdict.ok("agent loop ran " + age.toMillis() + " ms ago")
        : Verdict.unavailable("agent loop has not run for " + age.toMillis() + " ms");
  }

  /**
   * Patroni: ready when it is the leader, or PostgreSQL streams and lags at most {@code ?lag=}
   * (default {@code maximum_lag_on_failover}). Ours the same, with "leader" meaning serving as
   * primary; a witness is ready once its agent has read the cluster state.
   */
  private static Verdict readiness(Observation o, Query q) {
    if (o.servingPrimary()) {
      return Verdict.ok("serving as primary");
    }
    if (o.isWitness()) {
      return o.local().role() == LocalRole.WITNESS ? Verdict.ok("witness agent is running")
          : Verdict.unavailable("witness agent is " + o.local().role().name().toLowerCase(Locale.ROOT));
    }
    if (o.local().role() != LocalRole.REPLICA || o.databaseState() != DatabaseState.RUNNING_REPLICA) {
      return Verdict.unavailable("database is not running as a replica (" + o.databaseState() + ")");
    }
    if (!o.replicationState().orElse("stopped").equals("streaming")) {
      return Verdict.unavailable("replication state is not streaming");
    }
    long max = q.maxLag().orElse(o.cluster().settings().maximumLagOnFailover());
    OptionalLong lag = o.lagBytes(q.receivedLag());
    if (lag.isPresent() && lag.getAsLong() > max) {
      return Verdict.unavailable("replication " + (q.receivedLag() ? "write" : "apply") + " lag " + lag.getAsLong()
          + " exceeds maximum allowable " + max);
    }
    return Verdict.ok("streaming and within " + max + " bytes of the primary");
  }

  /** Patroni's tag filter: every requested tag must be set on this member with exactly that value. */
  private static Optional<Verdict> tagsMatch(Observation o, Query q) {
    if (q.tags().isEmpty()) {
      return Optional.empty();
    }
    Map<String, String> mine = Observation.effectiveTags(o.tags());
    for (Map.Entry<String, String> wanted : q.tags().entrySet()) {
      String have = mine.get(wanted.getKey());
      if (have == null) {
        return Optional.of(Verdict.unavailable("has no tag " + wanted.getKey()));
      }
      if (!have.equals(wanted.getValue())) {
        return Optional.of(Verdict.unavailable("tag " + wanted.getKey() + " is " + have + ", not " + wanted.getValue()));
      }
    }
    return Optional.empty();
  }
}

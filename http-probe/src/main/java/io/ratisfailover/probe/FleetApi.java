package io.ratisfailover.probe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ratisfailover.ClusterMember;
import io.ratisfailover.ClusterView;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberView;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API of a process serving many clusters on one port: {@code GET /clusters} lists them,
 * {@code /cluster/{name}/...} is that cluster's member API (every path of {@link ProbeApi}, admin
 * calls authenticated the same way), {@code GET /metrics} has every cluster's metrics (labelled
 * {@code scope="<cluster>"}), and {@code POST /clusters/reload} re-reads the configuration.
 */
final class FleetApi implements Endpoint {
  private static final Logger log = LoggerFactory.getLogger(FleetApi.class);
  private static final String PREFIX = "/cluster/";

  private final ClusterDirectory directory;
  private final ProbeConfig config;
  private final Executor admin;
  private final Clock clock;
  private final LongSupplier ticker;
  private final Supplier<Integer> openConnections;
  private final AdminAccess access;
  private final JsonBodies answers = new JsonBodies();
  /** Each served member's API, made on first use; dropped once its cluster is no longer served. */
  private final Map<ClusterMember, ProbeApi> apis = new ConcurrentHashMap<>();

  FleetApi(ClusterDirectory directory, ProbeConfig config, Executor admin, Clock clock, LongSupplier ticker,
      Supplier<Integer> openConnections) {
    this.directory = directory;
    this.config = config;
    this.admin = admin;
    this.clock = clock;
    this.ticker = ticker;
    this.openConnections = openConnections;
    this.access = new AdminAccess(config, ticker, "clusters API", this::error);
  }

  @Override
  public CompletableFuture<Answer> handle(ProbeRequest r, boolean counted) {
    try {
      if (r.path().equals("/clusters")) {
        return now(r.isRead() ? json(200, clusters(), "clusters") : notAllowed(r, "GET, HEAD, OPTIONS"));
      }
      if (r.path().equals("/metrics")) {
        return now(r.isRead() ? metrics() : notAllowed(r, "GET, HEAD, OPTIONS"));
      }
      if (r.path().equals("/clusters/reload")) {
        return r.method().equals("POST") ? reload(r) : now(notAllowed(r, "POST"));
      }
      if (r.path().startsWith(PREFIX)) {
        return forCluster(r, counted);
      }
      return now(error(404, "no such endpoint: " + r.method() + " " + r.path() + "; this port serves /clusters and"
          + " /cluster/{name}/..."));
    } catch (RuntimeException e) {
      log.error("clusters API: {} failed", r, e);
      return now(error(500, "internal error; see the witness's log"));
    }
  }

  private CompletableFuture<Answer> forCluster(ProbeRequest r, boolean counted) {
    String rest = r.path().substring(PREFIX.length());
    int slash = rest.indexOf('/');
    String name = slash < 0 ? rest : rest.substring(0, slash);
    Map<String, ClusterMember> served = directory.clusters();
    ClusterMember member = served.get(name);
    apis.keySet().retainAll(served.values());
    if (member == null) {
      return now(error(404, "this witness serves no cluster named '" + name + "'; GET /clusters lists them"));
    }
    ProbeApi api = api(member);
    String path = slash < 0 ? "/cluster" : rest.substring(slash);
    return api.handle(new ProbeRequest(r.method(), path, r.query(), r.authorization(), r.contentType(),
        r.clientCertificate(), r.clientNames(), r.body(), r.remote()), counted);
  }

  private ProbeApi api(ClusterMember member) {
    return apis.computeIfAbsent(member, m -> new ProbeApi(m, config, admin, clock, ticker, openConnections));
  }

  /** Every cluster's metrics, as on its member's own {@code /metrics}, labelled {@code scope="<cluster>"}. */
  private Answer metrics() {
    Map<String, ClusterMember> served = directory.clusters();
    apis.keySet().retainAll(served.values());
    return Scrapes.answer(Scrapes.merged(served.values().stream().map(m -> api(m).metrics().collect()).toList()));
  }

  /** One line per cluster: what an operator (or {@code rfctl clusters}) looks at first. */
  private ArrayNode clusters() {
    ArrayNode list = JsonNodeFactory.instance.arrayNode();
    directory.clusters().forEach((name, member) -> {
      ClusterView v = member.cluster();
      ObjectNode c = list.addObject();
      c.put("name", name);
      c.put("primary", v.primary().map(Object::toString).orElse(null));
      c.put("epoch", v.epoch().value());
      c.put("raft_leader", v.raftLeader().map(Object::toString).orElse(null));
      c.put("raft_term", v.raftTerm());
      c.put("paused", v.paused());
      long reporting = v.members().stream().filter(MemberView::reporting).count();
      c.put("members", v.members().size());
      c.put("members_reporting", reporting);
      maxLag(v).ifPresent(lag -> c.put("max_lag_bytes", lag));
      c.put("health", health(v, reporting));
    });
    return list;
  }

  /**
   * {@code healthy}: a primary, a Raft leader, every member reporting; {@code degraded}: a primary
   * and a leader, but a member silent; {@code no_primary} or {@code no_raft_leader} otherwise.
   */
  static String health(ClusterView v, long reporting) {
    if (v.raftLeader().isEmpty()) {
      return "no_raft_leader";
    }
    if (v.primary().isEmpty()) {
      return "no_primary";
    }
    return reporting == v.members().size() ? "healthy" : "degraded";
  }

  /** How far the furthest standby's replay is behind the primary's write position, when both reported. */
  private static Optional<Long> maxLag(ClusterView v) {
    Optional<Lsn> primaryWrite = v.primary().flatMap(v::member).flatMap(MemberView::status).map(s -> s.writeLsn());
    if (primaryWrite.isEmpty()) {
      return Optional.empty();
    }
    return v.members().stream().filter(m -> v.primary().filter(m.id()::equals).isEmpty())
        .flatMap(m -> m.status().map(s -> s.replayedLsn()).stream())
        .map(replayed -> Math.max(0, primaryWrite.get().value() - replayed.value())).max(Long::compare);
  }

  private CompletableFuture<Answer> reload(ProbeRequest r) {
    Optional<Answer> refused = access.check(r);
    if (refused.isPresent()) {
      return now(refused.get());
    }
    if (!r.declaresJson()) {
      return now(error(415, "admin requests must be sent with Content-Type: application/json"));
    }
    try {
      return CompletableFuture.supplyAsync(() -> {
        try {
          String done = directory.reload();
          log.info("clusters API: {} -> 200 ({})", r, done);
          return json(200, Documents.message(done), done);
        } catch (IllegalArgumentException e) {
          return error(409, e.getMessage());
        } catch (RuntimeException e) {
          log.error("clusters API: {} failed", r, e);
          return error(500, "reload failed: " + e.getMessage());
        }
      }, admin);
    } catch (RejectedExecutionException e) {
      return now(error(503, "too many admin requests in progress; retry later"));
    }
  }

  private Answer json(int status, JsonNode body, String reason) {
    return answers.json(status, body, reason);
  }

  @Override
  public Answer error(int status, String message) {
    return answers.error(status, message);
  }

  private Answer notAllowed(ProbeRequest r, String allow) {
    return answers.notAllowed(r, allow);
  }

  @Override
  public void answered(int status) {
    // Counted per cluster, on /cluster/{name}/metrics; the fleet port keeps no metrics of its own.
  }

  @Override
  public void connectionRejected() {
    log.debug("clusters API: a connection was refused by the connection limits");
  }

  private static CompletableFuture<Answer> now(Answer answer) {
    return CompletableFuture.completedFuture(answer);
  }
}

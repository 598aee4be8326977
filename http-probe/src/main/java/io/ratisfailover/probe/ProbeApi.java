package io.ratisfailover.probe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.ratisfailover.ClusterMember;
import io.ratisfailover.ClusterView;
import io.ratisfailover.LocalView;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API without the transport: a {@link ProbeRequest} in, an {@link Answer} out. Reads (health
 * checks, status, metrics) are answered at once on the calling thread from in-memory views; admin
 * requests run on the admin executor, because they wait for the cluster, and complete the
 * returned future there.
 *
 * <p>Status codes follow Patroni's REST API: 200 done, 202 scheduled, 400 bad request, 412
 * precondition failed (wrong leader, unknown or ineligible candidate), 503 failed or status
 * unknown. Ours on top: 401 missing or wrong credentials, 403 missing client certificate, 404
 * unknown admin path, 405 wrong method, 409 conflicting request, 415 an admin change not sent as
 * {@code application/json}, 422 unusable schedule; every
 * error has a JSON body {@code {"error": "..."}}.
 */
final class ProbeApi implements Endpoint {
  private static final Logger log = LoggerFactory.getLogger(ProbeApi.class);
  private static final Set<String> ADMIN_POST = Set.of("/switchover", "/failover", "/restart", "/reload", "/reinitialize");
  private static final Set<String> READ_ONLY = Set.of("/patroni", "/cluster", "/history", "/metrics");

  private final ClusterMember member;
  private final ProbeConfig config;
  private final Executor admin;
  private final ProbeMetrics metrics;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final JsonBodies bodies = new JsonBodies();
  private final AdminAccess access;
  private final AdminEndpoints endpoints;
  private final SwitchoverEndpoints switchovers;
  private final PrimaryHoldOff holdOff;

  /**
   * @param admin runs admin requests; may refuse them ({@link RejectedExecutionException}) when full
   * @param clock for scheduled switchovers in the past
   * @param ticker monotonic nanoseconds, for throttling log lines
   * @param openConnections for the metrics
   */
  ProbeApi(ClusterMember member, ProbeConfig config, Executor admin, Clock clock, LongSupplier ticker,
      Supplier<Integer> openConnections) {
    this.member = member;
    this.config = config;
    this.admin = admin;
    this.metrics = new ProbeMetrics(this::observe, openConnections);
    this.registry.register(metrics);
    this.access = new AdminAccess(config, ticker, "member " + member.id(), bodies::error);
    this.endpoints = new AdminEndpoints(member, config, bodies);
    this.switchovers = new SwitchoverEndpoints(member, config, clock, bodies);
    this.holdOff = new PrimaryHoldOff(config.primaryHoldOff());
  }

  ProbeMetrics metrics() {
    return metrics;
  }

  /** Reads the member once: the views and the lease, evaluated now, and the hold-off for routers. */
  Observation observe() {
    LocalView local = member.local();
    ClusterView cluster = member.cluster();
    boolean serving = member.servingPrimary();
    Duration held = holdOff.remaining(serving, local.predecessorSilent());
    return new Observation(local, cluster, serving && held.isZero(), held);
  }

  /**
   * Answers {@code request}: at once for reads, on the admin executor for changes. The future
   * never completes exceptionally: failures become answers.
   */
  CompletableFuture<Answer> handle(ProbeRequest request) {
    return handle(request, true);
  }

  /** Like {@link #handle(ProbeRequest)}; {@code counted} false keeps the answer out of the metrics (the probe's own warm-up). */
  @Override
  public CompletableFuture<Answer> handle(ProbeRequest request, boolean counted) {
    try {
      return route(request).thenApply(a -> count(request.statusOnly() ? a.withoutBody() : a, counted));
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(count(internalError(request, e), counted));
    }
  }

  private Answer count(Answer answer, boolean counted) {
    if (counted) {
      metrics.requestAnswered(answer.status());
    }
    return answer;
  }

  private CompletableFuture<Answer> route(ProbeRequest r) {
    String path = r.path();
    Optional<HealthCheck> check = HealthCheck.forPath(path);
    if (check.isPresent()) {
      return now(r.isRead() ? health(check.get(), r) : notAllowed(r, "GET, HEAD, OPTIONS"));
    }
    if (READ_ONLY.contains(path)) {
      return now(r.isRead() ? read(path) : notAllowed(r, "GET, HEAD, OPTIONS"));
    }
    if (path.equals("/config")) {
      return switch (r.method()) {
        case "GET", "HEAD", "OPTIONS" -> now(read(path));
        case "PATCH" -> admin(r, () -> endpoints.patchConfig(r, false));
        case "PUT" -> admin(r, () -> endpoints.patchConfig(r, true));
        default -> now(notAllowed(r, "GET, HEAD, OPTIONS, PATCH, PUT"));
      };
    }
    if (path.equals("/members")) {
      return r.method().equals("POST") ? admin(r, () -> endpoints.addMember(r)) : now(notAllowed(r, "POST"));
    }
    if (path.startsWith("/members/") && path.length() > "/members/".length()) {
      String id = path.substring("/members/".length());
      return r.method().equals("DELETE") ? admin(r, () -> endpoints.removeMember(id)) : now(notAllowed(r, "DELETE"));
    }
    if (ADMIN_POST.contains(path)) {
      if (r.method().equals("POST")) {
        return admin(r, () -> switch (path) {
          case "/switchover" -> switchovers.switchover(r, false);
          case "/failover" -> switchovers.switchover(r, true);
          case "/restart" -> endpoints.restart(r);
          case "/reload" -> endpoints.reload(r);
          default -> endpoints.reinitialize(r);
        });
      }
      if (path.equals("/switchover") && r.method().equals("DELETE")) {
        return admin(r, switchovers::cancelSwitchover);
      }
      return now(notAllowed(r, path.equals("/switchover") ? "POST, DELETE" : "POST"));
    }
    if (r.isRead()) {
      // Patroni answers any other GET, HEAD or OPTIONS with 503 and its status: a router checking
      // a misspelt path then sees the server as down, never as up.
      return now(health(HealthCheck.UNKNOWN, r));
    }
    return now(error(404, "no such endpoint: " + r.method() + " " + path));
  }

  private static CompletableFuture<Answer> now(Answer answer) {
    return CompletableFuture.completedFuture(answer);
  }

  // --- reads -------------------------------------------------------------------------------------

  private Answer health(HealthCheck check, ProbeRequest r) {
    HealthCheck.Query query;
    try {
      query = HealthCheck.Query.parse(r.query());
    } catch (IllegalArgumentException e) {
      return error(400, e.getMessage());
    }
    Observation o = observe();
    HealthCheck.Verdict verdict = check.evaluate(o, query, config.livenessThreshold());
    if (r.statusOnly()) {
      return Answer.statusOnly(verdict.status(), verdict.reason());
    }
    ObjectNode body = Documents.status(o);
    body.putObject("check").put("path", r.path()).put("status", verdict.status()).put("reason", verdict.reason());
    return json(verdict.status(), body, verdict.reason());
  }

  private Answer read(String path) {
    return switch (path) {
      case "/patroni" -> json(200, Documents.status(observe()), "status");
      case "/cluster" -> json(200, Documents.cluster(member.cluster()), "cluster");
      case "/history" -> json(200, Documents.history(member.cluster()), "history");
      case "/config" -> {
        ClusterView c = member.cluster();
        yield json(200, Documents.config(c.settings(), c.paused()), "config");
      }
      default -> metricsAnswer();
    };
  }

  private Answer metricsAnswer() {
    return Scrapes.answer(registry.scrape());
  }

  // --- admin -------------------------------------------------------------------------------------

  /** A blocking admin call, authenticated first, then run on the admin executor. */
  private CompletableFuture<Answer> admin(ProbeRequest r, Supplier<Answer> call) {
    Optional<Answer> refused = access.check(r);
    if (refused.isPresent()) {
      return now(refused.get());
    }
    if (!r.method().equals("DELETE") && !r.declaresJson()) {
      // A web page can make a browser send a form, text/plain or an untyped body to any address
      // without asking first (no CORS preflight); it cannot send application/json that way.
      return now(error(415, "admin requests must be sent with Content-Type: application/json, got "
          + r.contentType().map(t -> "'" + t + "'").orElse("none")));
    }
    try {
      return CompletableFuture.supplyAsync(() -> {
        try {
          Answer a = call.get();
          log.info("member {} epoch {}: {} -> {} ({})", member.id(), member.local().epoch(), r, a.status(), a.reason());
          return a;
        } catch (RuntimeException e) {
          return internalError(r, e);
        }
      }, admin);
    } catch (RejectedExecutionException e) {
      return now(error(503, "too many admin requests in progress; retry later"));
    }
  }

  // --- answers -----------------------------------------------------------------------------------

  private Answer json(int status, JsonNode body, String reason) {
    return bodies.json(status, body, reason);
  }

  @Override
  public void answered(int status) {
    metrics.requestAnswered(status);
  }

  @Override
  public void connectionRejected() {
    metrics.connectionRejected();
  }

  @Override
  public Answer error(int status, String message) {
    return bodies.error(status, message);
  }

  private Answer notAllowed(ProbeRequest r, String allow) {
    return bodies.notAllowed(r, allow);
  }

  /** A bug, not bad input: logged with its stack trace for us, a plain 500 for the client. */
  private Answer internalError(ProbeRequest r, RuntimeException e) {
    log.error("member {}: {} failed", member.id(), r, e);
    return error(500, "internal error; see the member's log");
  }


}

package io.ratisfailover.probe;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.ratisfailover.AdminRejectedException;
import io.ratisfailover.ClusterMember;
import io.ratisfailover.ClusterSettings;
import io.ratisfailover.ClusterView;
import io.ratisfailover.FailoverException;
import io.ratisfailover.LocalRole;
import io.ratisfailover.LocalView;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.NoQuorumException;
import io.ratisfailover.SwitchoverOutcome;
import io.ratisfailover.SwitchoverRequest;
import io.ratisfailover.spi.DatabaseState;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
  private final Clock clock;
  private final ProbeMetrics metrics;
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final ObjectMapper mapper = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private final AdminAccess access;
  private final JsonAnswers answers = new JsonAnswers();
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
    this.clock = clock;
    this.metrics = new ProbeMetrics(this::observe, openConnections);
    this.registry.register(metrics);
    this.access = new AdminAccess(config, ticker, "member " + member.id(), this::error);
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
  @Override
  public CompletableFuture<Answer> handle(ProbeRequest request) {
    try {
      return route(request).thenApply(a -> count(request.statusOnly() ? a.withoutBody() : a));
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(count(internalError(request, e)));
    }
  }

  private Answer count(Answer answer) {
    metrics.requestAnswered(answer.status());
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
        case "PATCH" -> admin(r, () -> patchConfig(r, false));
        case "PUT" -> admin(r, () -> patchConfig(r, true));
        default -> now(notAllowed(r, "GET, HEAD, OPTIONS, PATCH, PUT"));
      };
    }
    if (ADMIN_POST.contains(path)) {
      if (r.method().equals("POST")) {
        return admin(r, () -> switch (path) {
          case "/switchover" -> switchover(r, false);
          case "/failover" -> switchover(r, true);
          case "/restart" -> restart(r);
          case "/reload" -> reload(r);
          default -> reinitialize(r);
        });
      }
      if (path.equals("/switchover") && r.method().equals("DELETE")) {
        return admin(r, this::cancelSwitchover);
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

  /**
   * {@code POST /switchover} and {@code POST /failover}, with Patroni's rules: a switchover names
   * the current leader; a failover names a candidate and cannot be scheduled (given a leader it is
   * a switchover); while paused, only to a named candidate and never scheduled.
   */
  private Answer switchover(ProbeRequest r, boolean failover) {
    String action = failover ? "failover" : "switchover";
    ObjectNode body;
    try {
      body = jsonObject(r, false, Set.of("leader", "candidate", "member", "scheduled_at"));
    } catch (BadRequest e) {
      return e.answer;
    }
    Optional<MemberId> leader;
    Optional<MemberId> candidate;
    try {
      leader = memberName(body, "leader");
      Optional<MemberId> named = memberName(body, "candidate");
      candidate = named.isPresent() ? named : memberName(body, "member");
    } catch (BadRequest e) {
      return e.answer;
    }
    Optional<String> scheduledText = text(body, "scheduled_at");
    boolean paused = member.cluster().paused();
    if (failover && candidate.isEmpty()) {
      return error(400, "failover could be performed only to a specific candidate: give 'candidate'");
    }
    if (!failover && leader.isEmpty()) {
      return error(400, "switchover could be performed only from a specific leader: give 'leader'");
    }
    Optional<Instant> scheduledAt = Optional.empty();
    if (scheduledText.isPresent()) {
      if (failover) {
        return error(400, "failover can't be scheduled; use a switchover");
      }
      if (paused) {
        return error(400, "can't schedule a switchover in the paused state");
      }
      try {
        scheduledAt = Optional.of(parseSchedule(scheduledText.get()));
      } catch (BadRequest e) {
        return e.answer;
      }
    }
    if (paused && candidate.isEmpty()) {
      return error(400, "in the paused state a switchover is possible only to a specific candidate");
    }
    if (leader.isPresent() && leader.equals(candidate)) {
      return error(400, "switchover target and source are the same: " + leader.get());
    }
    SwitchoverOutcome outcome;
    try {
      outcome = failover && leader.isEmpty() ? member.failover(candidate.get(), config.adminTimeout())
          : member.switchover(new SwitchoverRequest(leader, candidate, scheduledAt), config.adminTimeout());
    } catch (AdminRejectedException e) {
      return rejected(action, e);
    } catch (NoQuorumException e) {
      return error(503, action + " failed: " + e.getMessage());
    } catch (FailoverException | IllegalStateException e) {
      return error(503, action + " failed: " + e.getMessage());
    }
    if (outcome.scheduled()) {
      return json(202, Documents.message(capitalized(action) + " scheduled")
          .put("scheduled_at", scheduledAt.map(Instant::toString).orElse("")), action + " scheduled");
    }
    String now = outcome.primary().map(MemberId::value).orElse("?");
    String verb = failover ? "failed over" : "switched over";
    String message = candidate.isEmpty() || candidate.get().value().equals(now)
        ? "Successfully " + verb + " to \"" + now + "\""
        : capitalized(verb) + " to \"" + now + "\" instead of \"" + candidate.get() + "\"";
    ObjectNode doc = Documents.message(message).put("primary", now);
    outcome.epoch().ifPresent(e -> doc.put("epoch", e.value()));
    return json(200, doc, message);
  }

  /** Patroni's {@code parse_schedule}: ISO 8601 with a time zone, not in the past. */
  private Instant parseSchedule(String text) throws BadRequest {
    String iso = text.length() > 10 && text.charAt(10) == ' ' ? text.substring(0, 10) + "T" + text.substring(11) : text;
    Instant at;
    try {
      at = OffsetDateTime.parse(iso).toInstant();
    } catch (DateTimeParseException e) {
      try {
        LocalDateTime.parse(iso);
      } catch (DateTimeParseException notLocal) {
        throw new BadRequest(error(422, "unable to parse scheduled_at '" + text
            + "': use ISO 8601 with a time zone, for example 2030-04-14T20:27:00+00:00"));
      }
      throw new BadRequest(error(400, "time zone information is mandatory for scheduled_at, for example "
          + text + "+00:00"));
    }
    if (at.isBefore(clock.instant())) {
      throw new BadRequest(error(422, "cannot schedule a switchover in the past (" + at + ")"));
    }
    return at;
  }

  private Answer rejected(String action, AdminRejectedException e) {
    int status = switch (e.reason()) {
      case NOT_PRIMARY, UNKNOWN_MEMBER, NOT_ELIGIBLE, NO_CANDIDATE -> 412;
      case CONFLICT, STALE -> 409;
      case INVALID -> 400;
      case TIMED_OUT -> 503;
    };
    String prefix = e.reason() == AdminRejectedException.Reason.TIMED_OUT ? action + " status unknown: " : action
        + " is not possible: ";
    return error(status, prefix + e.getMessage());
  }

  private Answer cancelSwitchover() {
    if (member.cluster().switchover().isEmpty()) {
      return error(404, "no switchover is scheduled");
    }
    try {
      member.cancelSwitchover();
    } catch (AdminRejectedException e) {
      return e.reason() == AdminRejectedException.Reason.CONFLICT ? error(404, "no switchover is scheduled")
          : rejected("cancelling the switchover", e);
    } catch (FailoverException | IllegalStateException e) {
      return error(503, "cancelling the switchover failed: " + e.getMessage());
    }
    return json(200, Documents.message("scheduled switchover deleted"), "switchover cancelled");
  }

  /**
   * {@code POST /restart}. Patroni's {@code role} filter is honoured; its scheduling and version
   * filters are refused with 400 rather than ignored, because ignoring them would restart now
   * what the operator meant to restart later or not at all.
   */
  private Answer restart(ProbeRequest r) {
    ObjectNode body;
    try {
      body = jsonObject(r, true, Set.of("role", "timeout", "schedule", "postgres_version", "restart_pending"));
    } catch (BadRequest e) {
      return e.answer;
    }
    for (String unsupported : List.of("schedule", "postgres_version", "restart_pending")) {
      if (body.has(unsupported)) {
        return error(400, unsupported + " is not supported for restarts here; restart without it");
      }
    }
    Duration wait = config.adminTimeout();
    if (body.has("timeout")) {
      JsonNode t = body.get("timeout");
      if (!t.isNumber() || t.asDouble() <= 0) {
        return error(400, "timeout should be a positive number of seconds");
      }
      wait = Duration.ofMillis((long) (t.asDouble() * 1000));
    }
    if (member.kind() == MemberKind.WITNESS) {
      return error(412, "member " + member.id() + " is a witness: it has no database to restart");
    }
    Optional<String> role = text(body, "role");
    if (role.isPresent()) {
      String wanted = role.get().equals("master") ? "primary" : role.get();
      if (!wanted.equals("primary") && !wanted.equals("replica")) {
        return error(400, "role should be either primary or replica");
      }
      boolean primary = member.local().database().map(s -> s.state() == DatabaseState.RUNNING_PRIMARY).orElse(false);
      if (primary != wanted.equals("primary")) {
        return error(503, "restart conditions are not satisfied: this member is not a " + wanted);
      }
    }
    return await("restart", member.restartDatabase(), wait, 200, "restarted successfully");
  }

  /** {@code POST /reload}: the database re-reads its configuration; 202 like Patroni's "reload scheduled". */
  private Answer reload(ProbeRequest r) {
    try {
      jsonObject(r, true, Set.of());
    } catch (BadRequest e) {
      return e.answer;
    }
    if (member.kind() == MemberKind.WITNESS) {
      return error(412, "member " + member.id() + " is a witness: it has no database to reload");
    }
    return await("reload", member.reloadDatabase(), config.adminTimeout(), 202, "reload scheduled");
  }

  /**
   * {@code POST /reinitialize}: 200 once the re-clone has started, as in Patroni; it may take long,
   * so its end is only logged. Patroni's {@code force} and {@code from_leader} are accepted: we
   * always clone from the primary, and never while another database operation runs.
   */
  private Answer reinitialize(ProbeRequest r) {
    try {
      jsonObject(r, true, Set.of("force", "from_leader"));
    } catch (BadRequest e) {
      return e.answer;
    }
    if (member.kind() == MemberKind.WITNESS) {
      return error(412, "member " + member.id() + " is a witness: it has no database to reinitialize");
    }
    if (member.local().role() == LocalRole.PRIMARY || member.local().role() == LocalRole.CANDIDATE) {
      return error(503, "member " + member.id() + " is the primary; only a replica can be reinitialized");
    }
    CompletableFuture<Void> running = member.reinitializeDatabase();
    if (running.isCompletedExceptionally()) {
      return await("reinitialize", running, Duration.ZERO, 200, "reinitialize started");
    }
    running.whenComplete((ok, e) -> {
      if (e == null) {
        log.info("member {} epoch {}: reinitialize finished", member.id(), member.local().epoch());
      } else {
        log.error("member {} epoch {}: reinitialize failed: {}", member.id(), member.local().epoch(), rootMessage(e));
      }
    });
    return json(200, Documents.message("reinitialize started"), "reinitialize started");
  }

  private Answer await(String action, CompletableFuture<Void> future, Duration wait, int okStatus, String okMessage) {
    try {
      future.get(wait.toNanos(), TimeUnit.NANOSECONDS);
      return json(okStatus, Documents.message(okMessage), okMessage);
    } catch (TimeoutException e) {
      return error(503, action + " status unknown: not done within " + wait.toMillis() + " ms; it may still complete");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof AdminRejectedException rejected) {
        return error(503, action + " failed: " + rejected.getMessage());
      }
      return error(503, action + " failed: " + rootMessage(e.getCause()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return error(503, action + " status unknown: the probe is shutting down");
    }
  }

  /** {@code PATCH /config} (merge) and {@code PUT /config} (replace); {@code pause} pauses or resumes. */
  private Answer patchConfig(ProbeRequest r, boolean replace) {
    ConfigPatch patch;
    try {
      patch = ConfigPatch.parse(readJson(r), replace);
    } catch (BadRequest e) {
      return e.answer;
    } catch (IllegalArgumentException e) {
      return error(400, e.getMessage());
    }
    if (patch.isEmpty()) {
      return error(400, "no settings given; the dynamic settings are " + String.join(", ", ConfigPatch.KEYS));
    }
    ClusterView before = member.cluster();
    ClusterSettings settings = before.settings();
    try {
      if (patch.settings().isPresent()) {
        // Checked against the current settings first, so an impossible value is a 400 that names
        // the field, not a rejected command.
        patch.settings().get().apply(settings);
        settings = member.updateSettings(patch.settings().get());
      }
      if (patch.pause().isPresent()) {
        if (patch.pause().get()) {
          member.pause();
        } else {
          member.resume();
        }
      }
    } catch (IllegalArgumentException e) {
      return error(400, e.getMessage());
    } catch (AdminRejectedException e) {
      return rejected("changing the configuration", e);
    } catch (FailoverException | IllegalStateException e) {
      return error(503, "changing the configuration failed: " + e.getMessage());
    }
    boolean paused = patch.pause().orElse(before.paused());
    return json(200, Documents.config(settings, paused), "configuration changed");
  }

  // --- bodies ------------------------------------------------------------------------------------

  /** A request failed validation: carries the answer to send. */
  private static final class BadRequest extends Exception {
    private static final long serialVersionUID = 1L;
    private final transient Answer answer;

    BadRequest(Answer answer) {
      super(answer.reason(), null, false, false);
      this.answer = answer;
    }
  }

  private JsonNode readJson(ProbeRequest r) throws BadRequest {
    if (r.body().length == 0) {
      throw new BadRequest(error(400, "a JSON body is required"));
    }
    try {
      return mapper.readTree(r.body());
    } catch (JsonParseException e) {
      throw new BadRequest(error(400, "the body is not valid JSON: " + e.getOriginalMessage()));
    } catch (JsonProcessingException e) {
      throw new BadRequest(error(400, "the body is not valid JSON: " + e.getOriginalMessage()));
    } catch (IOException e) {
      throw new BadRequest(error(400, "the body could not be read: " + e.getMessage()));
    }
  }

  /** The body as a JSON object with only {@code allowed} keys; empty is fine when {@code optional}. */
  private ObjectNode jsonObject(ProbeRequest r, boolean optional, Set<String> allowed) throws BadRequest {
    if (r.body().length == 0 && optional) {
      return mapper.createObjectNode();
    }
    JsonNode node = readJson(r);
    if (!node.isObject()) {
      throw new BadRequest(error(400, "the body must be a JSON object"));
    }
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw new BadRequest(error(400, "unknown key '" + name + "'" + (allowed.isEmpty() ? "; this request takes none"
            : "; expected " + String.join(", ", allowed.stream().sorted().toList()))));
      }
    }
    return (ObjectNode) node;
  }

  private static Optional<String> text(ObjectNode body, String key) {
    JsonNode v = body.get(key);
    return v == null || v.isNull() || (v.isTextual() && v.asText().isEmpty()) ? Optional.empty() : Optional.of(v.asText());
  }

  private Optional<MemberId> memberName(ObjectNode body, String key) throws BadRequest {
    JsonNode v = body.get(key);
    if (v == null || v.isNull() || (v.isTextual() && v.asText().isEmpty())) {
      return Optional.empty();
    }
    if (!v.isTextual()) {
      throw new BadRequest(error(400, key + " must be a member name (a string), got " + v));
    }
    try {
      return Optional.of(MemberId.of(v.asText()));
    } catch (IllegalArgumentException e) {
      throw new BadRequest(error(400, key + ": " + e.getMessage()));
    }
  }

  // --- answers -----------------------------------------------------------------------------------

  private Answer json(int status, JsonNode body, String reason) {
    return answers.json(status, body, reason);
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
    return answers.error(status, message);
  }

  private Answer notAllowed(ProbeRequest r, String allow) {
    return answers.notAllowed(r, allow);
  }

  /** A bug, not bad input: logged with its stack trace for us, a plain 500 for the client. */
  private Answer internalError(ProbeRequest r, RuntimeException e) {
    log.error("member {}: {} failed", member.id(), r, e);
    return error(500, "internal error; see the member's log");
  }

  private static String capitalized(String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

}

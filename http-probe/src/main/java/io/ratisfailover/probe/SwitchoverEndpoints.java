package io.ratisfailover.probe;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ratisfailover.AdminRejectedException;
import io.ratisfailover.ClusterMember;
import io.ratisfailover.FailoverException;
import io.ratisfailover.MemberId;
import io.ratisfailover.NoQuorumException;
import io.ratisfailover.SwitchoverOutcome;
import io.ratisfailover.SwitchoverRequest;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.Set;

/**
 * The endpoints that move the primary role: {@code POST /switchover} (now or scheduled),
 * {@code POST /failover} and {@code DELETE /switchover}, each a blocking call on the admin executor
 * once {@link AdminAccess} let the request through.
 */
final class SwitchoverEndpoints {
  private final ClusterMember member;
  private final ProbeConfig config;
  private final Clock clock;
  private final JsonBodies bodies;
  private final AdminAnswers answers;

  /** @param clock for scheduled switchovers in the past */
  SwitchoverEndpoints(ClusterMember member, ProbeConfig config, Clock clock, JsonBodies bodies) {
    this.member = member;
    this.config = config;
    this.clock = clock;
    this.bodies = bodies;
    this.answers = new AdminAnswers(bodies);
  }

  /**
   * {@code POST /switchover} and {@code POST /failover}, with Patroni's rules: a switchover names
   * the current leader; a failover names a candidate and cannot be scheduled (given a leader it is
   * a switchover); while paused, only to a named candidate and never scheduled.
   */
  Answer switchover(ProbeRequest r, boolean failover) {
    String action = failover ? "failover" : "switchover";
    ObjectNode body;
    try {
      body = bodies.jsonObject(r, false, Set.of("leader", "candidate", "member", "scheduled_at"));
    } catch (BadRequest e) {
      return e.answer;
    }
    Optional<MemberId> leader;
    Optional<MemberId> candidate;
    try {
      leader = bodies.memberName(body, "leader");
      Optional<MemberId> named = bodies.memberName(body, "candidate");
      candidate = named.isPresent() ? named : bodies.memberName(body, "member");
    } catch (BadRequest e) {
      return e.answer;
    }
    Optional<String> scheduledText = JsonBodies.text(body, "scheduled_at");
    boolean paused = member.cluster().paused();
    if (failover && candidate.isEmpty()) {
      return bodies.error(400, "failover could be performed only to a specific candidate: give 'candidate'");
    }
    if (!failover && leader.isEmpty()) {
      return bodies.error(400, "switchover could be performed only from a specific leader: give 'leader'");
    }
    Optional<Instant> scheduledAt = Optional.empty();
    if (scheduledText.isPresent()) {
      if (failover) {
        return bodies.error(400, "failover can't be scheduled; use a switchover");
      }
      if (paused) {
        return bodies.error(400, "can't schedule a switchover in the paused state");
      }
      try {
        scheduledAt = Optional.of(parseSchedule(scheduledText.get()));
      } catch (BadRequest e) {
        return e.answer;
      }
    }
    if (paused && candidate.isEmpty()) {
      return bodies.error(400, "in the paused state a switchover is possible only to a specific candidate");
    }
    if (leader.isPresent() && leader.equals(candidate)) {
      return bodies.error(400, "switchover target and source are the same: " + leader.get());
    }
    SwitchoverOutcome outcome;
    try {
      outcome = failover && leader.isEmpty() ? member.failover(candidate.get(), config.adminTimeout())
          : member.switchover(new SwitchoverRequest(leader, candidate, scheduledAt), config.adminTimeout());
    } catch (AdminRejectedException e) {
      return answers.rejected(action, e);
    } catch (NoQuorumException e) {
      return bodies.error(503, action + " failed: " + e.getMessage());
    } catch (FailoverException | IllegalStateException e) {
      return bodies.error(503, action + " failed: " + e.getMessage());
    }
    if (outcome.scheduled()) {
      return bodies.json(202, Documents.message(AdminAnswers.capitalized(action) + " scheduled")
          .put("scheduled_at", scheduledAt.map(Instant::toString).orElse("")), action + " scheduled");
    }
    String now = outcome.primary().map(MemberId::value).orElse("?");
    String verb = failover ? "failed over" : "switched over";
    String message = candidate.isEmpty() || candidate.get().value().equals(now)
        ? "Successfully " + verb + " to \"" + now + "\""
        : AdminAnswers.capitalized(verb) + " to \"" + now + "\" instead of \"" + candidate.get() + "\"";
    ObjectNode doc = Documents.message(message).put("primary", now);
    outcome.epoch().ifPresent(e -> doc.put("epoch", e.value()));
    return bodies.json(200, doc, message);
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
        throw new BadRequest(bodies.error(422, "unable to parse scheduled_at '" + text
            + "': use ISO 8601 with a time zone, for example 2030-04-14T20:27:00+00:00"));
      }
      throw new BadRequest(bodies.error(400, "time zone information is mandatory for scheduled_at, for example "
          + text + "+00:00"));
    }
    if (at.isBefore(clock.instant())) {
      throw new BadRequest(bodies.error(422, "cannot schedule a switchover in the past (" + at + ")"));
    }
    return at;
  }

  /** {@code DELETE /switchover}: cancels the scheduled switchover; 404 when none is scheduled. */
  Answer cancelSwitchover() {
    if (member.cluster().switchover().isEmpty()) {
      return bodies.error(404, "no switchover is scheduled");
    }
    try {
      member.cancelSwitchover();
    } catch (AdminRejectedException e) {
      return e.reason() == AdminRejectedException.Reason.CONFLICT ? bodies.error(404, "no switchover is scheduled")
          : answers.rejected("cancelling the switchover", e);
    } catch (FailoverException | IllegalStateException e) {
      return bodies.error(503, "cancelling the switchover failed: " + e.getMessage());
    }
    return bodies.json(200, Documents.message("scheduled switchover deleted"), "switchover cancelled");
  }
}

package io.ratisfailover.probe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ratisfailover.AdminRejectedException;
import io.ratisfailover.ClusterMember;
import io.ratisfailover.ClusterSettings;
import io.ratisfailover.ClusterView;
import io.ratisfailover.FailoverException;
import io.ratisfailover.LocalRole;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.DatabaseStatus;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin endpoints, each a blocking call on the admin executor once {@link AdminAccess} let the
 * request through: restart, reload, reinitialize, membership and the configuration. Switchover and
 * failover are {@link SwitchoverEndpoints}.
 */
final class AdminEndpoints {
  // Logged under ProbeApi, as before the split: operators filter the API's lines by that name.
  private static final Logger log = LoggerFactory.getLogger(ProbeApi.class);

  private final ClusterMember member;
  private final ProbeConfig config;
  private final JsonBodies bodies;
  private final AdminAnswers answers;

  AdminEndpoints(ClusterMember member, ProbeConfig config, JsonBodies bodies) {
    this.member = member;
    this.config = config;
    this.bodies = bodies;
    this.answers = new AdminAnswers(bodies);
  }

  /**
   * {@code POST /restart}. Patroni's {@code role} and {@code restart_pending} filters are honoured
   * (a member that does not match answers 503 and is not restarted); its scheduling and version
   * filters are refused with 400 rather than ignored, because ignoring them would restart now
   * what the operator meant to restart later or not at all.
   */
  Answer restart(ProbeRequest r) {
    ObjectNode body;
    try {
      body = bodies.jsonObject(r, true, Set.of("role", "timeout", "schedule", "postgres_version", "restart_pending"));
    } catch (BadRequest e) {
      return e.answer;
    }
    for (String unsupported : List.of("schedule", "postgres_version")) {
      if (body.has(unsupported)) {
        return bodies.error(400, unsupported + " is not supported for restarts here; restart without it");
      }
    }
    Duration wait = config.adminTimeout();
    if (body.has("timeout")) {
      JsonNode t = body.get("timeout");
      if (!t.isNumber() || t.asDouble() <= 0) {
        return bodies.error(400, "timeout should be a positive number of seconds");
      }
      wait = Duration.ofMillis((long) (t.asDouble() * 1000));
    }
    if (member.kind() == MemberKind.WITNESS) {
      return bodies.error(412, "member " + member.id() + " is a witness: it has no database to restart");
    }
    Optional<String> role = JsonBodies.text(body, "role");
    if (role.isPresent()) {
      String wanted = role.get().equals("master") ? "primary" : role.get();
      if (!wanted.equals("primary") && !wanted.equals("replica")) {
        return bodies.error(400, "role should be either primary or replica");
      }
      boolean primary = member.local().database().map(s -> s.state() == DatabaseState.RUNNING_PRIMARY).orElse(false);
      if (primary != wanted.equals("primary")) {
        return bodies.error(503, "restart conditions are not satisfied: this member is not a " + wanted);
      }
    }
    if (body.has("restart_pending")) {
      boolean onlyPending;
      try {
        onlyPending = ConfigPatch.bool("restart_pending", body.get("restart_pending"));
      } catch (IllegalArgumentException e) {
        return bodies.error(400, e.getMessage());
      }
      if (onlyPending && !member.local().database().map(DatabaseStatus::pendingRestart).orElse(false)) {
        return bodies.error(503, "restart conditions are not satisfied: no restart is pending on member " + member.id());
      }
    }
    return await("restart", member.restartDatabase(), wait, 200, "restarted successfully");
  }

  /** {@code POST /reload}: the database re-reads its configuration; 202 like Patroni's "reload scheduled". */
  Answer reload(ProbeRequest r) {
    try {
      bodies.jsonObject(r, true, Set.of());
    } catch (BadRequest e) {
      return e.answer;
    }
    if (member.kind() == MemberKind.WITNESS) {
      return bodies.error(412, "member " + member.id() + " is a witness: it has no database to reload");
    }
    return await("reload", member.reloadDatabase(), config.adminTimeout(), 202, "reload scheduled");
  }

  /**
   * {@code POST /reinitialize}: 200 once the re-clone has started, as in Patroni; it may take long,
   * so its end is only logged. Patroni's {@code force} and {@code from_leader} are accepted: we
   * always clone from the primary, and never while another database operation runs.
   */
  Answer reinitialize(ProbeRequest r) {
    try {
      bodies.jsonObject(r, true, Set.of("force", "from_leader"));
    } catch (BadRequest e) {
      return e.answer;
    }
    if (member.kind() == MemberKind.WITNESS) {
      return bodies.error(412, "member " + member.id() + " is a witness: it has no database to reinitialize");
    }
    if (member.local().role() == LocalRole.PRIMARY || member.local().role() == LocalRole.CANDIDATE) {
      return bodies.error(503, "member " + member.id() + " is the primary; only a replica can be reinitialized");
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
    return bodies.json(200, Documents.message("reinitialize started"), "reinitialize started");
  }

  private Answer await(String action, CompletableFuture<Void> future, Duration wait, int okStatus, String okMessage) {
    try {
      future.get(wait.toNanos(), TimeUnit.NANOSECONDS);
      return bodies.json(okStatus, Documents.message(okMessage), okMessage);
    } catch (TimeoutException e) {
      return bodies.error(503, action + " status unknown: not done within " + wait.toMillis() + " ms; it may still complete");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof AdminRejectedException rejected) {
        return bodies.error(503, action + " failed: " + rejected.getMessage());
      }
      return bodies.error(503, action + " failed: " + rootMessage(e.getCause()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return bodies.error(503, action + " status unknown: the probe is shutting down");
    }
  }

  /**
   * {@code POST /members}: adds a member ({@code member}, {@code kind} data or witness,
   * {@code raft_address}), or with {@code replaces} adds it and then removes that member. 200 with
   * the voters afterwards once Raft has committed the change.
   */
  Answer addMember(ProbeRequest r) {
    ObjectNode body;
    Peer peer;
    Optional<MemberId> replaces;
    try {
      body = bodies.jsonObject(r, false, Set.of("member", "kind", "raft_address", "replaces"));
      MemberId id = bodies.memberName(body, "member").orElseThrow(() -> new BadRequest(bodies.error(400,
          "give 'member': the new member's id")));
      String kind = JsonBodies.text(body, "kind").orElse("");
      MemberKind memberKind = switch (kind) {
        case "data" -> MemberKind.DATA;
        case "witness" -> MemberKind.WITNESS;
        default -> throw new BadRequest(bodies.error(400, "give 'kind': data or witness, got '" + kind + "'"));
      };
      String address = JsonBodies.text(body, "raft_address").orElseThrow(() -> new BadRequest(bodies.error(400,
          "give 'raft_address': host:port of the new member's Raft server")));
      replaces = bodies.memberName(body, "replaces");
      try {
        peer = new Peer(id, memberKind, address);
      } catch (IllegalArgumentException e) {
        return bodies.error(400, e.getMessage());
      }
    } catch (BadRequest e) {
      return e.answer;
    }
    String action = replaces.map(old -> "replacing " + old + " with " + peer.id()).orElse("adding " + peer.id());
    try {
      List<MemberId> voters = replaces.isPresent() ? member.replaceMember(replaces.get(), peer, config.adminTimeout())
          : member.addMember(peer, config.adminTimeout());
      return membershipAnswer(AdminAnswers.capitalized(action) + ": done", voters);
    } catch (AdminRejectedException e) {
      return answers.rejected(action, e);
    } catch (FailoverException | IllegalStateException e) {
      return bodies.error(503, action + " did not complete: " + e.getMessage() + "; repeat the request to finish it");
    }
  }

  /** {@code DELETE /members/{id}}: removes a member; 200 with the voters afterwards. */
  Answer removeMember(String id) {
    MemberId removed;
    try {
      removed = MemberId.of(id);
    } catch (IllegalArgumentException e) {
      return bodies.error(400, e.getMessage());
    }
    String action = "removing " + removed;
    try {
      return membershipAnswer("Removed " + removed, member.removeMember(removed, config.adminTimeout()));
    } catch (AdminRejectedException e) {
      return answers.rejected(action, e);
    } catch (FailoverException | IllegalStateException e) {
      return bodies.error(503, action + " did not complete: " + e.getMessage() + "; repeat the request to finish it");
    }
  }

  private Answer membershipAnswer(String message, List<MemberId> voters) {
    ObjectNode doc = Documents.message(message);
    com.fasterxml.jackson.databind.node.ArrayNode list = doc.putArray("voters");
    voters.stream().map(MemberId::value).sorted().forEach(list::add);
    return bodies.json(200, doc, message);
  }

  /** {@code PATCH /config} (merge) and {@code PUT /config} (replace); {@code pause} pauses or resumes. */
  Answer patchConfig(ProbeRequest r, boolean replace) {
    ConfigPatch patch;
    try {
      patch = ConfigPatch.parse(bodies.readJson(r), replace);
    } catch (BadRequest e) {
      return e.answer;
    } catch (IllegalArgumentException e) {
      return bodies.error(400, e.getMessage());
    }
    if (patch.isEmpty()) {
      return bodies.error(400, "no settings given; the dynamic settings are " + String.join(", ", ConfigPatch.KEYS));
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
      return bodies.error(400, e.getMessage());
    } catch (AdminRejectedException e) {
      return answers.rejected("changing the configuration", e);
    } catch (FailoverException | IllegalStateException e) {
      return bodies.error(503, "changing the configuration failed: " + e.getMessage());
    }
    boolean paused = patch.pause().orElse(before.paused());
    return bodies.json(200, Documents.config(settings, paused), "configuration changed");
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }
}

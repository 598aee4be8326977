package io.ratisfailover.postgres;

import io.ratisfailover.LocalRole;
import io.ratisfailover.RoleChange;
import io.ratisfailover.RoleListener;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells a PgPool-II in streaming-replication mode that this member's PostgreSQL is the primary now,
 * as a role-change action, so that pgpool sends writes to it at once instead of waiting for its
 * health check (which, after a switchover, may never see the old primary down at all). The cluster
 * decides who is primary: pgpool is configured never to promote anything ({@code failover_command}
 * and {@code follow_primary_command} empty) and is only told the outcome, through PCP:
 * {@code pcp_promote_node} without {@code --switchover} changes pgpool's view alone (the new primary
 * becomes pgpool's primary, every other node is detached until {@code auto_failback} re-attaches it
 * as a streaming standby); a node pgpool had detached is attached first ({@code pcp_attach_node}).
 *
 * <p>{@code pcp_promote_node} exits 0 even when pgpool refused the request, so success is read back
 * with {@code pcp_node_info}: the action polls until pgpool lists the node as an up primary, or its
 * timeout ends. A failure is logged and changes nothing else.
 */
public final class PgPool {
  private static final Logger log = LoggerFactory.getLogger(PgPool.class);
  private static final long POLL_MILLIS = 50;

  /**
   * @param pcpHost where pgpool's PCP listens ({@code pcp_listen_addresses})
   * @param pcpPort pgpool's {@code pcp_port}
   * @param pcpUser a user in pgpool's {@code pcp.conf}
   * @param pcpPasswordFile a PCP password file ({@code host:port:user:password} lines, mode 0600),
   *     handed to the PCP programs as {@code PCPPASSFILE}
   * @param timeout bound on the whole action, from the promotion to pgpool listing the node as primary
   * @param binDir where the PCP programs are ({@code /usr/sbin} on Debian); empty: looked up on {@code PATH}
   */
  public record Config(String pcpHost, int pcpPort, String pcpUser, Path pcpPasswordFile, Duration timeout,
      Optional<Path> binDir) {
    public Config {
      Objects.requireNonNull(pcpPasswordFile, "pgpool.pcp_password_file");
      Objects.requireNonNull(timeout, "pgpool.timeout");
      Objects.requireNonNull(binDir, "pgpool.bin_dir");
      for (String name : List.of(String.valueOf(pcpHost), String.valueOf(pcpUser))) {
        if (!name.matches("[A-Za-z0-9_.:-]+")) {
          throw new IllegalArgumentException("pgpool.pcp_host and pgpool.pcp_user must be plain names, got '" + name + "'");
        }
      }
      if (pcpPort < 1 || pcpPort > 65535) {
        throw new IllegalArgumentException("pgpool.pcp_port must be between 1 and 65535, got " + pcpPort);
      }
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("pgpool.timeout must be positive, got " + timeout);
      }
    }

    @Override
    public String toString() {
      return "PgPool[pcp " + pcpUser + "@" + pcpHost + ":" + pcpPort + "]";
    }
  }

  /** A backend as {@code pcp_node_info} lists it: pgpool's status name and the role pgpool gives it. */
  record NodeInfo(String status, String role) {
    /** pgpool sends queries to it ({@code waiting}: up, no session has connected yet). */
    boolean up() {
      return status.equals("up") || status.equals("waiting");
    }

    boolean primary() {
      return role.equals("primary");
    }

    /** Parses {@code pcp_node_info --verbose}: one {@code Label : value} line per field. */
    static NodeInfo parse(String verbose) throws IOException {
      Map<String, String> fields = new HashMap<>();
      for (String line : verbose.split("\n")) {
        int colon = line.indexOf(':');
        if (colon > 0) {
          fields.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
        }
      }
      String status = fields.get("Status Name");
      String role = fields.get("Role");
      if (status == null || role == null) {
        throw new IOException("pcp_node_info printed no 'Status Name' and 'Role': " + verbose.strip().replace('\n', ' '));
      }
      return new NodeInfo(status, role);
    }
  }

  /** What the action does next, given what pgpool lists and what it already asked for. */
  enum Step {
    /** pgpool lists the node as an up primary. */
    DONE,
    /** pgpool has the node detached: attach it (pgpool then looks for the primary among its nodes). */
    ATTACH,
    /** pgpool has the node up as a standby: make it pgpool's primary. */
    PROMOTE,
    /** Asked already: wait for pgpool to act on it. */
    WAIT;

    static Step next(NodeInfo node, boolean attachAsked, boolean promoteAsked) {
      if (node.up() && node.primary()) {
        return DONE;
      }
      if (node.status().equals("down")) {
        return attachAsked ? WAIT : ATTACH;
      }
      return node.up() && !promoteAsked ? PROMOTE : WAIT;
    }
  }

  private final Config config;

  public PgPool(Config config) {
    this.config = config;
  }

  /**
   * A listener that makes pgpool's backend {@code nodeId} (this member's PostgreSQL) its primary
   * when this member becomes the primary. The work runs on {@code executor}, never on the thread
   * that reports the change: register it with {@code FailoverMember.Builder.roleListener}. It stops
   * asking pgpool for anything once this member has changed role again, so that a late action (pgpool
   * unreachable for a while) cannot point pgpool back at a member that lost the primary role since.
   */
  public RoleListener onPromotion(int nodeId, Executor executor) {
    AtomicReference<RoleChange> latest = new AtomicReference<>();
    return change -> {
      latest.set(change);
      if (change.to() == LocalRole.PRIMARY) {
        try {
          executor.execute(() -> {
            log.info("member {} (epoch {}): telling pgpool {}:{} that node {} is the primary", change.member(),
                change.epoch(), config.pcpHost(), config.pcpPort(), nodeId);
            makePrimary(nodeId, () -> latest.get() == change);
          });
        } catch (RejectedExecutionException e) {
          log.warn("member {} (epoch {}): pgpool {}:{} not told that node {} is the primary: the action's executor"
              + " refused it ({})", change.member(), change.epoch(), config.pcpHost(), config.pcpPort(), nodeId,
              e.getMessage());
        }
      }
    };
  }

  /**
   * Makes pgpool's backend {@code nodeId} its primary, within the timeout.
   *
   * @return whether pgpool lists the node as an up primary
   */
  public boolean makePrimary(int nodeId) {
    return makePrimary(nodeId, () -> true);
  }

  /** As {@link #makePrimary(int)}, asking pgpool for nothing more once {@code stillPrimary} is false. */
  boolean makePrimary(int nodeId, BooleanSupplier stillPrimary) {
    long start = System.nanoTime();
    long deadline = start + config.timeout().toNanos();
    boolean attachAsked = false;
    boolean promoteAsked = false;
    String last = "no answer from pcp";
    while (System.nanoTime() - deadline < 0) {
      if (!stillPrimary.getAsBoolean()) {
        log.info("pgpool {}:{}: no longer the primary: node {} not made pgpool's primary", config.pcpHost(),
            config.pcpPort(), nodeId);
        return false;
      }
      try {
        NodeInfo node = NodeInfo.parse(pcp("pcp_node_info", nodeId, deadline, "--verbose"));
        last = "node " + nodeId + " is " + node.status() + " " + node.role();
        switch (Step.next(node, attachAsked, promoteAsked)) {
          case DONE -> {
            log.info("pgpool {}:{}: node {} is the primary ({} ms, {})", config.pcpHost(), config.pcpPort(), nodeId,
                (System.nanoTime() - start) / 1_000_000, attachAsked && promoteAsked ? "attached and promoted"
                    : attachAsked ? "attached" : promoteAsked ? "promoted" : "pgpool knew already");
            return true;
          }
          case ATTACH -> {
            pcp("pcp_attach_node", nodeId, deadline);
            attachAsked = true;
          }
          case PROMOTE -> {
            pcp("pcp_promote_node", nodeId, deadline);
            promoteAsked = true;
          }
          case WAIT -> { }
        }
      } catch (IOException e) {
        // pgpool restarts its PCP process after each failover; the next round asks again.
        last = e.getMessage();
      }
      if (!pause()) {
        break;
      }
    }
    log.warn("pgpool {}:{}: node {} not made the primary within {} ms: {}", config.pcpHost(), config.pcpPort(), nodeId,
        config.timeout().toMillis(), last);
    return false;
  }

  private static boolean pause() {
    try {
      Thread.sleep(POLL_MILLIS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Runs one PCP program against node {@code nodeId}, bounded by the deadline; returns what it printed. */
  private String pcp(String program, int nodeId, long deadline, String... more) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(config.binDir().map(d -> d.resolve(program).toString()).orElse(program),
        "-h", config.pcpHost(), "-p", String.valueOf(config.pcpPort()), "-U", config.pcpUser(), "-w",
        "-n", String.valueOf(nodeId)));
    cmd.addAll(List.of(more));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("PCPPASSFILE", config.pcpPasswordFile().toString());
    Process p = pb.start();
    try {
      if (!p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
        p.destroyForcibly();
        throw new IOException(program + ": no answer within the timeout");
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IOException(program + ": " + out.strip().replace('\n', ' '));
      }
      return out;
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException(program + ": interrupted", e);
    }
  }
}

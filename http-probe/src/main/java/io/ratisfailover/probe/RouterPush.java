package io.ratisfailover.probe;

import io.ratisfailover.ClusterMember;
import io.ratisfailover.Epoch;
import io.ratisfailover.LocalRole;
import io.ratisfailover.LocalView;
import io.ratisfailover.MemberKind;
import io.ratisfailover.MemberView;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes this member's {@code /primary} answer to HAProxy the moment it changes: when it starts
 * answering 200 (lease valid, database read-write, hold-off over), every other member's server is
 * marked down and then, only if HAProxy accepted that, this member's server up; when it stops,
 * its server is marked down. An elected member marks the others down already once it holds the
 * lease of its epoch, before it promotes: no other member can serve then, and clients stop
 * waiting on a dead old primary's retries while the promotion runs. It uses {@code set server <backend>/<server> health up|down}, which
 * HAProxy's next health check overrides: unlike {@code state maint}, nothing stays behind that the
 * checks cannot correct, so a lost or failed push changes nothing and a wrong one lasts one check.
 *
 * <p>{@link #check()} runs every {@link #TICK} on one thread; pushes run on one thread per HAProxy,
 * each bounded by the configured timeout, so a dead HAProxy delays nothing but its own pushes.
 */
final class RouterPush implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RouterPush.class);
  static final java.time.Duration TICK = java.time.Duration.ofMillis(20);

  private final ClusterMember member;
  private final HaproxyPush config;
  private final BooleanSupplier answers200;
  private final RuntimeApiClient client;
  private final List<ExecutorService> lanes;
  private boolean lastAnswered200;
  /** The epoch whose election already marked the others down. */
  private Epoch clearedFor = Epoch.ZERO;

  /**
   * @param answers200 whether {@code /primary} answers 200 now
   * @param timer bounds each exchange with HAProxy
   */
  RouterPush(ClusterMember member, HaproxyPush config, BooleanSupplier answers200, ScheduledExecutorService timer) {
    this.member = member;
    this.config = config;
    this.answers200 = answers200;
    this.client = new RuntimeApiClient(timer);
    String name = "ratis-failover-probe-" + member.id() + "-haproxy-";
    this.lanes = config.runtimeApis().stream().map(api -> Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, name + api);
      t.setDaemon(true);
      return t;
    })).collect(Collectors.toList());
  }

  /** Looks whether the answer changed and, if so, queues the push to every HAProxy. */
  void check() {
    boolean now;
    LocalView local;
    try {
      now = answers200.getAsBoolean();
      local = member.local();
    } catch (RuntimeException e) {
      // A scheduled task that throws is never run again: note it and keep looking.
      log.debug("member {}: router push check failed: {}", member.id(), e.toString());
      return;
    }
    if (!now && local.role() == LocalRole.CANDIDATE && !local.leaseRemaining().isZero()
        && local.epoch().isAfter(clearedFor)) {
      clearedFor = local.epoch();
      long electedAt = System.nanoTime();
      queue(api -> {
        if (markOthersDown(api)) {
          log.info("member {} epoch {}: told HAProxy {} that the others are not the primary ({} ms after it held"
              + " the lease of its election)", member.id(), local.epoch(), api, elapsedMillis(electedAt));
        }
      });
    }
    if (now == lastAnswered200) {
      return;
    }
    lastAnswered200 = now;
    long changedAt = System.nanoTime();
    queue(api -> {
      if (now) {
        pushUp(api, changedAt);
      } else {
        pushDown(api, changedAt);
      }
    });
  }

  private void queue(Consumer<HaproxyPush.RuntimeApi> push) {
    for (int i = 0; i < lanes.size(); i++) {
      HaproxyPush.RuntimeApi api = config.runtimeApis().get(i);
      try {
        lanes.get(i).execute(() -> push.accept(api));
      } catch (RejectedExecutionException e) {
        return; // closed
      }
    }
  }

  /** Whether HAProxy accepted every other data member's server down (true when there is none). */
  private boolean markOthersDown(HaproxyPush.RuntimeApi api) {
    String self = member.id().value();
    List<String> others = member.cluster().members().stream()
        .filter(m -> m.kind() == MemberKind.DATA && !m.id().value().equals(self))
        .map(MemberView::id).map(id -> config.serverOf(id.value())).collect(Collectors.toList());
    if (others.isEmpty()) {
      return true;
    }
    String down = others.stream().map(s -> health(s, "down")).collect(Collectors.joining("; "));
    return send(api, down, "mark " + others + " down");
  }

  private void pushUp(HaproxyPush.RuntimeApi api, long changedAt) {
    if (!markOthersDown(api)) {
      return; // Never two servers UP: without the others down, this one waits for its checks.
    }
    if (!answers200.getAsBoolean()) {
      return; // It stopped serving while the others were being marked down.
    }
    String server = config.serverOf(member.id().value());
    if (send(api, health(server, "up"), "mark itself up")) {
      log.info("member {} epoch {}: told HAProxy {} that {}/{} is the primary ({} ms after it started answering 200)",
          member.id(), member.local().epoch(), api, config.backend(), server, elapsedMillis(changedAt));
    }
  }

  private void pushDown(HaproxyPush.RuntimeApi api, long changedAt) {
    String server = config.serverOf(member.id().value());
    if (send(api, health(server, "down"), "mark itself down")) {
      log.info("member {} epoch {}: told HAProxy {} that {}/{} no longer is the primary ({} ms after it stopped"
          + " answering 200)", member.id(), member.local().epoch(), api, config.backend(), server, elapsedMillis(changedAt));
    }
  }

  private String health(String server, String state) {
    return "set server " + config.backend() + "/" + server + " health " + state;
  }

  /** Whether HAProxy accepted every command: it answers each with an empty line, and with words when refusing. */
  private boolean send(HaproxyPush.RuntimeApi api, String commands, String what) {
    try {
      String answer = client.send(api, commands, config.timeout());
      if (answer.isBlank()) {
        return true;
      }
      log.warn("member {} epoch {}: HAProxy {} refused to {}: {}; its health checks will do it", member.id(),
          member.local().epoch(), api, what, answer.strip().replace('\n', ' '));
    } catch (IOException e) {
      log.warn("member {} epoch {}: could not tell HAProxy {} to {}: {}; its health checks will do it", member.id(),
          member.local().epoch(), api, what, e.toString());
    }
    return false;
  }

  private static long elapsedMillis(long since) {
    return (System.nanoTime() - since) / 1_000_000;
  }

  @Override
  public void close() {
    lanes.forEach(ExecutorService::shutdownNow);
  }
}

package io.ratisfailover.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.Epoch;
import io.ratisfailover.LocalRole;
import io.ratisfailover.MemberId;
import io.ratisfailover.RoleChange;
import io.ratisfailover.RoleListener;
import io.ratisfailover.postgres.PgPool.NodeInfo;
import io.ratisfailover.postgres.PgPool.Step;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

/** What the PgPool-II action asks for, given what {@code pcp_node_info} lists; no pgpool needed. */
class PgPoolStepTest {
  @Test
  void aStandbyIsPromotedOnceADetachedNodeAttachedOnceAPrimaryLeftAlone() {
    NodeInfo standby = new NodeInfo("up", "standby");
    assertThat(Step.next(standby, false, false)).isEqualTo(Step.PROMOTE);
    assertThat(Step.next(standby, false, true)).as("asked: pgpool acts after a failover it is running").isEqualTo(Step.WAIT);
    assertThat(Step.next(new NodeInfo("waiting", "standby"), false, false)).isEqualTo(Step.PROMOTE);
    NodeInfo detached = new NodeInfo("down", "standby");
    assertThat(Step.next(detached, false, false)).isEqualTo(Step.ATTACH);
    assertThat(Step.next(detached, true, false)).isEqualTo(Step.WAIT);
    assertThat(Step.next(standby, true, false)).as("attached, but pgpool found another primary").isEqualTo(Step.PROMOTE);
    assertThat(Step.next(new NodeInfo("up", "primary"), false, false)).isEqualTo(Step.DONE);
    assertThat(Step.next(new NodeInfo("waiting", "primary"), true, true)).isEqualTo(Step.DONE);
    assertThat(Step.next(new NodeInfo("down", "primary"), false, false)).as("detached while pgpool's primary").isEqualTo(Step.ATTACH);
    assertThat(Step.next(new NodeInfo("quarantine", "standby"), false, false)).as("the watchdog's business").isEqualTo(Step.WAIT);
  }

  @Test
  void pcpNodeInfoVerboseIsReadByItsLabels() throws IOException {
    NodeInfo n = NodeInfo.parse("""
        Hostname               : 127.0.0.1
        Port                   : 25432
        Status                 : 2
        Weight                 : 0.500000
        Status Name            : up
        Backend Status Name    : up
        Role                   : primary
        Backend Role           : primary
        Replication Delay      : 0
        Replication State      : none
        Replication Sync State : none
        Last Status Change     : 2026-12-03 17:08:38
        """);
    assertThat(n).isEqualTo(new NodeInfo("up", "primary"));
    assertThatThrownBy(() -> NodeInfo.parse("ERROR: connection to host \"127.0.0.1\" failed\n"))
        .hasMessage("pcp_node_info printed no 'Status Name' and 'Role': ERROR: connection to host \"127.0.0.1\" failed");
  }

  @Test
  void onlyAPromotionQueuesTheActionAndARefusingExecutorIsNoFailure() {
    PgPool pool = new PgPool(new PgPool.Config("127.0.0.1", 9898, "u", Path.of("/nonexistent"), Duration.ofMillis(1),
        Optional.empty()));
    List<Runnable> queued = new ArrayList<>();
    RoleListener listener = pool.onPromotion(1, queued::add);
    listener.roleChanged(change(LocalRole.CANDIDATE, LocalRole.PRIMARY));
    listener.roleChanged(change(LocalRole.PRIMARY, LocalRole.DEMOTING));
    listener.roleChanged(change(LocalRole.STARTING, LocalRole.REPLICA));
    assertThat(queued).as("run on the executor, never on the reporting thread").hasSize(1);
    pool.onPromotion(1, task -> {
      throw new RejectedExecutionException("shut down");
    }).roleChanged(change(LocalRole.CANDIDATE, LocalRole.PRIMARY));
  }

  @Test
  void aLateActionAsksPgPoolNothingOnceTheMemberLostThePrimaryRole() {
    // A long timeout and PCP programs that do not exist: an action that asked pgpool anything would
    // keep failing and retrying until its timeout.
    PgPool pool = new PgPool(new PgPool.Config("127.0.0.1", 9898, "u", Path.of("/nonexistent"), Duration.ofSeconds(30),
        Optional.of(Path.of("/nonexistent"))));
    List<Runnable> queued = new ArrayList<>();
    RoleListener listener = pool.onPromotion(1, queued::add);
    listener.roleChanged(change(LocalRole.CANDIDATE, LocalRole.PRIMARY));
    listener.roleChanged(change(LocalRole.PRIMARY, LocalRole.DEMOTING));
    long start = System.nanoTime();
    queued.get(0).run();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
  }

  private static RoleChange change(LocalRole from, LocalRole to) {
    return new RoleChange(MemberId.of("pg2"), from, to, Epoch.of(2), "test", Instant.EPOCH);
  }

  @Test
  void theConfigNamesItsBadField() {
    Path pass = Path.of("/etc/ratis-failover/pcppass");
    assertThatThrownBy(() -> new PgPool.Config("10.0.0.9; rm", 9898, "u", pass, Duration.ofSeconds(1), Optional.empty()))
        .hasMessage("pgpool.pcp_host and pgpool.pcp_user must be plain names, got '10.0.0.9; rm'");
    assertThatThrownBy(() -> new PgPool.Config("h", 9898, "u", pass, Duration.ZERO, Optional.empty()))
        .hasMessage("pgpool.timeout must be positive, got PT0S");
    assertThat(new PgPool.Config("h", 9898, "u", pass, Duration.ofSeconds(1), Optional.empty()).toString())
        .isEqualTo("PgPool[pcp u@h:9898]");
  }
}

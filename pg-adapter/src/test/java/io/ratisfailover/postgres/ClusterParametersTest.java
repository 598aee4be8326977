package io.ratisfailover.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberView;
import io.ratisfailover.ServerParameters;
import io.ratisfailover.Timing;
import io.ratisfailover.postgres.testing.Db;
import io.ratisfailover.postgres.testing.Faults;
import io.ratisfailover.postgres.testing.PgCluster;
import io.ratisfailover.postgres.testing.PgSandbox;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Cluster-wide PostgreSQL settings changed once, through the replicated state, reach every data
 * member's running server: a reloadable parameter takes effect, one that needs a restart is
 * reported as pending on every member until it restarts, and a member's own setting of a parameter
 * wins over the cluster's.
 */
class ClusterParametersTest {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @RegisterExtension
  static final PgSandbox pg = new PgSandbox();

  @Test
  void aClusterWideChangeReachesEveryMemberAndARestartOnlySettingIsPending() throws Exception {
    PgCluster c = PgCluster.threeMembers(pg, "params", Timing.defaults(), ClusterSettings.DEFAULT).startAll();
    String primary = Faults.awaitSteady(c, WAIT);
    String standby = Faults.other(primary);
    assertThat(Db.value(c.postgres(primary), "SHOW work_mem")).isEqualTo("4MB");

    ServerParameters work = new ServerParameters(Map.of("work_mem", "64MB"),
        List.of("host all app_reader 10.99.0.0/16 scram-sha-256"));
    c.member("w1").updateSettings(s -> s.withPostgresql(work));
    for (String id : List.of(primary, standby)) {
      Await.until("work_mem 64MB on " + id, WAIT, () -> "64MB".equals(Db.valueOrNull(c.postgres(id), "SHOW work_mem")),
          c::describe);
      assertThat(Db.value(c.postgres(id), "SELECT count(*) FROM pg_hba_file_rules WHERE address = '10.99.0.0'"
          + " AND user_name = '{app_reader}' AND error IS NULL")).isEqualTo("1");
      assertThat(Db.value(c.postgres(id), "SELECT bool_or(pending_restart) FROM pg_settings")).isEqualTo("f");
    }

    // max_locks_per_transaction takes effect only at a start: every member says a restart is pending.
    // shared_buffers is also the members' own setting (16MB, PgSandbox): the local value wins, nothing pends.
    c.member("w1").updateSettings(s -> s.withPostgresql(work.withParameters(
        Map.of("work_mem", "64MB", "max_locks_per_transaction", "128", "shared_buffers", "64MB"))));
    for (String id : List.of(primary, standby)) {
      Await.until(id + " reports a pending restart to the cluster", WAIT, () -> c.view().member(MemberId.of(id))
          .flatMap(MemberView::status).map(DatabaseStatus::pendingRestart).orElse(false), c::describe);
      assertThat(Db.column(c.postgres(id), "SELECT name FROM pg_settings WHERE pending_restart"))
          .containsExactly("max_locks_per_transaction");
      assertThat(Db.value(c.postgres(id), "SHOW shared_buffers")).isEqualTo("16MB");
    }

    // A restart of the standby takes the setting and clears its flag; the primary's stays.
    c.member(standby).restartDatabase().get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
    Await.until(standby + " no longer pending", WAIT, () -> c.view().member(MemberId.of(standby))
        .flatMap(MemberView::status).filter(DatabaseStatus::isReplica).map(s -> !s.pendingRestart()).orElse(false),
        c::describe);
    assertThat(Db.value(c.postgres(standby), "SHOW max_locks_per_transaction")).isEqualTo("128");
    assertThat(Db.value(c.postgres(standby), "SHOW shared_buffers")).isEqualTo("16MB");
    assertThat(c.view().member(MemberId.of(primary)).flatMap(MemberView::status).map(DatabaseStatus::pendingRestart))
        .contains(true);
  }
}

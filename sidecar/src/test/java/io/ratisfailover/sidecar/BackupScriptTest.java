package io.ratisfailover.sidecar;

import static io.ratisfailover.postgres.testing.PgSandbox.topology;
import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.MemberId;
import io.ratisfailover.postgres.PostgresAdapter;
import io.ratisfailover.postgres.PostgresConfig;
import io.ratisfailover.postgres.internal.OsAccount;
import io.ratisfailover.postgres.internal.ToolRunner;
import io.ratisfailover.postgres.testing.BackupRepository;
import io.ratisfailover.postgres.testing.Db;
import io.ratisfailover.postgres.testing.PgSandbox;
import io.ratisfailover.spi.Upstream;
import io.ratisfailover.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The scheduled-backup script the systemd timer runs on every data member
 * ({@code src/main/dist/bin/ratis-failover-backup}), against a real primary and standby: it backs up
 * from the standby and skips the primary.
 */
class BackupScriptTest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Path SCRIPT = Path.of("src/main/dist/bin/ratis-failover-backup");

  @RegisterExtension
  static final PgSandbox pg = new PgSandbox();

  @Test
  void theTimersScriptBacksUpFromTheStandbyAndSkipsThePrimary() throws Exception {
    BackupRepository repo = BackupRepository.create(pg);
    PostgresConfig c1 = repo.configure(pg.config(pg.copyOfTemplate("pg1")), repo.backup()).build();
    PostgresConfig c2 = repo.configure(pg.config(pg.dataDirectory("pg2")), repo.backup()).build();
    pg.adapter("pg1", c1).startPrimary(topology(1, "pg2"));
    Await.until("the stanza in the repository", WAIT, repo::hasStanza, repo::logs);
    PostgresAdapter a2 = pg.adapter("pg2", c2);
    a2.startReplica(Optional.of(new Upstream(MemberId.of("pg1"), Map.of("host", c1.connectHost(), "port",
        Integer.toString(c1.port())))));
    Db.execute(c1, "CREATE TABLE t AS SELECT 1 AS x");
    Await.until("pg2 streaming", WAIT, () -> "streaming".equals(Db.valueOrNull(c1,
        "SELECT state FROM pg_stat_replication WHERE application_name = 'pg2'")));
    // The operator's stanza section names both servers; pgBackRest finds which one is the primary.
    Files.writeString(repo.configFile(), String.join("\n", "[" + BackupRepository.STANZA + "]",
        "pg1-path=" + c2.dataDirectory(), "pg1-port=" + c2.port(), "pg1-socket-path=" + repo.socketDirectory(),
        "pg2-path=" + c1.dataDirectory(), "pg2-port=" + c1.port(), "pg2-socket-path=" + repo.socketDirectory(), ""),
        java.nio.file.StandardOpenOption.APPEND);
    Path script = repo.configFile().resolveSibling("ratis-failover-backup");
    Files.copy(SCRIPT, script);

    ToolRunner.Result onStandby = runScript(script, repo, c2);
    assertThat(onStandby.ok()).as("on the standby: %s\n%s", onStandby.message(), repo.logs()).isTrue();
    assertThat(onStandby.stdout()).contains("this member is a standby; backing up stanza rf-test from it");
    ToolRunner.Result onPrimary = runScript(script, repo, c1);
    assertThat(onPrimary.ok()).as("on the primary: %s", onPrimary.message()).isTrue();
    assertThat(onPrimary.stdout()).contains("this member is the primary; a standby takes the backup");

    assertThat(repo.info()).containsOnlyOnce("\"label\"").contains("\"type\":\"full\"");
    // The files came from the standby's data directory.
    assertThat(repo.log("backup")).contains("--backup-standby").contains("backup file " + c2.dataDirectory() + "/base/")
        .doesNotContain("backup file " + c1.dataDirectory() + "/base/");
  }

  private static ToolRunner.Result runScript(Path script, BackupRepository repo, PostgresConfig member) throws Exception {
    return new ToolRunner(OsAccount.resolve(PgSandbox.osUser())).run(List.of("/bin/sh", script.toString(), "--type=full"),
        Map.of("RF_BACKUP_STANZA", BackupRepository.STANZA, "RF_PG_PORT", Integer.toString(member.port()),
            "RF_PG_SOCKET", repo.socketDirectory().toString(), "PGBACKREST_CONFIG", repo.configFile().toString()),
        Duration.ofMinutes(2));
  }
}

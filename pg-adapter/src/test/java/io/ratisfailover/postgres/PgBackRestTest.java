package io.ratisfailover.postgres;

import static io.ratisfailover.postgres.testing.PgSandbox.topology;
import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.MemberId;
import io.ratisfailover.postgres.testing.BackupRepository;
import io.ratisfailover.postgres.testing.Db;
import io.ratisfailover.postgres.testing.LogCapture;
import io.ratisfailover.postgres.testing.PgSandbox;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.FenceMode;
import io.ratisfailover.spi.Upstream;
import io.ratisfailover.testing.Await;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The adapter with pgBackRest against real PostgreSQL servers and a repository on the local file system. */
class PgBackRestTest {
  @RegisterExtension
  static final PgSandbox pg = new PgSandbox();

  private static final Duration WAIT = Duration.ofSeconds(60);

  private static String serverLog(PostgresConfig c) {
    try {
      String text = Files.readString(c.serverLog());
      return "== server log of " + c.dataDirectory() + "\n" + text.substring(Math.max(0, text.length() - 3000));
    } catch (java.io.IOException e) {
      return "cannot read the server log: " + e;
    }
  }

  @Test
  void aPrimaryCreatesTheStanzaAndArchivesItsWalThroughPgBackRest() throws Exception {
    BackupRepository repo = BackupRepository.create(pg);
    PostgresConfig c1 = repo.configure(pg.config(pg.copyOfTemplate("pg1")), repo.backup()).build();
    PostgresAdapter a1 = pg.adapter("pg1", c1);
    // An ALTER SYSTEM (or a copied postgresql.auto.conf) must not redirect the archive.
    Files.writeString(c1.dataDirectory().resolve("postgresql.auto.conf"), "archive_command = '/bin/true'\n");

    a1.startPrimary(topology(1, "pg2"));

    Await.until("the stanza in the repository", WAIT, repo::hasStanza, repo::logs);
    assertThat(Db.value(c1, "SHOW archive_mode")).isEqualTo("on");
    assertThat(Db.value(c1, "SHOW archive_command")).startsWith("pgbackrest --config=" + repo.configFile())
        .contains("--stanza=" + BackupRepository.STANZA).endsWith("archive-push \"%p\"");
    assertThat(Db.value(c1, "SHOW restore_command")).endsWith("archive-get \"%f\" \"%p\"");
    Db.execute(c1, "CREATE TABLE t AS SELECT 1 AS x");
    switchAndAwaitArchived(c1, repo);
    assertThat(Db.value(c1, "SELECT failed_count FROM pg_stat_archiver")).isEqualTo("0");

    // The operator's backup works with the stanza the adapter made; making it again changes nothing.
    repo.fullBackup(c1);
    assertThat(repo.pgbackrest(c1, "stanza-create").ok()).isTrue();
    assertThat(repo.pgbackrest(c1, "check").ok()).isTrue();
  }

  /** Ends the current WAL segment on {@code primary} and waits until it is in the repository; its name. */
  private static String switchAndAwaitArchived(PostgresConfig primary, BackupRepository repo) throws Exception {
    String segment = Db.value(primary, "SELECT pg_walfile_name(pg_switch_wal())");
    Await.until("segment " + segment + " archived", WAIT, () -> segment.equals(
        Db.valueOrNull(primary, "SELECT last_archived_wal FROM pg_stat_archiver")), () -> repo.logs() + serverLog(primary));
    return segment;
  }

  /** A running primary pg1 that archives to {@code repo}, with its stanza made. */
  private PostgresConfig primary(BackupRepository repo) throws Exception {
    PostgresConfig c1 = repo.configure(pg.config(pg.copyOfTemplate("pg1")), repo.backup()).build();
    pg.adapter("pg1", c1).startPrimary(topology(1, "pg2"));
    Await.until("the stanza in the repository", WAIT, repo::hasStanza, repo::logs);
    return c1;
  }

  private static Upstream upstream(PostgresConfig c) {
    return new Upstream(MemberId.of("pg1"), Map.of("host", c.connectHost(), "port", Integer.toString(c.port())));
  }

  private static void awaitReplayed(PostgresConfig primary, PostgresConfig standby, String what) {
    String target = Await.value("the primary's position", WAIT,
        () -> Db.valueOrNull(primary, "SELECT pg_current_wal_lsn()"));
    Await.until(what, WAIT, () -> "t".equals(Db.valueOrNull(standby,
        "SELECT pg_last_wal_replay_lsn() >= '" + target + "'::pg_lsn")), () -> serverLog(standby));
  }

  @Test
  void aNewStandbyIsRestoredFromTheRepositoryAndCatchesUpFromTheArchiveAndTheUpstream() throws Exception {
    BackupRepository repo = BackupRepository.create(pg);
    PostgresConfig c1 = primary(repo);
    Db.execute(c1, "CREATE TABLE t AS SELECT 1 AS x");
    repo.fullBackup(c1);
    // Written after the backup: a restored standby gets it from the archive or the stream.
    Db.execute(c1, "INSERT INTO t VALUES (2); SELECT pg_switch_wal(); INSERT INTO t VALUES (3)");
    PostgresConfig c2 = repo.configure(pg.config(pg.dataDirectory("pg2")),
        repo.backup(BackupConfig.ReplicaMethod.BACKUP_TOOL, BackupConfig.ReplicaMethod.BASEBACKUP)).build();

    try (LogCapture log = LogCapture.of(PostgresAdapter.class)) {
      pg.adapter("pg2", c2).startReplica(Optional.of(upstream(c1)));
      assertThat(log.messages()).anyMatch(m -> m.contains("made the data directory with a restore by pgbackrest"))
          .noneMatch(m -> m.contains("pg_basebackup"));
    }
    awaitReplayed(c1, c2, "pg2 replayed everything");
    assertThat(Db.value(c2, "SELECT string_agg(x::text, ',' ORDER BY x) FROM t")).isEqualTo("1,2,3");
    Await.until("pg2 streaming", WAIT, () -> "streaming".equals(Db.valueOrNull(c1,
        "SELECT state FROM pg_stat_replication WHERE application_name = 'pg2'")), () -> serverLog(c2));
    assertThat(Db.value(c2, "SHOW restore_command")).contains("archive-get");
  }

  @Test
  void withNoBackupInTheRepositoryANewStandbyFallsBackToBasebackupAndSaysWhy() throws Exception {
    BackupRepository repo = BackupRepository.create(pg);
    PostgresConfig c1 = primary(repo);
    Db.execute(c1, "CREATE TABLE t AS SELECT 1 AS x");
    PostgresConfig c2 = repo.configure(pg.config(pg.dataDirectory("pg2")),
        repo.backup(BackupConfig.ReplicaMethod.BACKUP_TOOL, BackupConfig.ReplicaMethod.BASEBACKUP)).build();

    try (LogCapture log = LogCapture.of(PostgresAdapter.class)) {
      pg.adapter("pg2", c2).startReplica(Optional.of(upstream(c1)));
      assertThat(log.messages()).anyMatch(m -> m.contains("a restore by pgbackrest stanza rf-test could not make the"
          + " data directory") && m.contains("no backup set found") && m.endsWith("trying pg_basebackup"))
          .anyMatch(m -> m.contains("made the data directory with pg_basebackup"));
    }
    awaitReplayed(c1, c2, "pg2 replayed everything");
    assertThat(Db.value(c2, "SELECT count(*) FROM t")).isEqualTo("1");
  }

  @Test
  void aStandbyThatFellBehindThePrimarysRetainedWalCatchesUpFromTheArchive() throws Exception {
    BackupRepository repo = BackupRepository.create(pg);
    PostgresConfig c1 = repo.configure(pg.config(pg.copyOfTemplate("pg1")).serverParameter("wal_keep_size", "0"),
        repo.backup()).build();
    pg.adapter("pg1", c1).startPrimary(topology(1, "pg2"));
    Await.until("the stanza in the repository", WAIT, repo::hasStanza, repo::logs);
    PostgresConfig c2 = repo.configure(pg.config(pg.dataDirectory("pg2")), repo.backup()).build();
    PostgresAdapter a2 = pg.adapter("pg2", c2);
    a2.startReplica(Optional.of(upstream(c1)));
    Db.execute(c1, "CREATE TABLE t AS SELECT 1 AS x");
    awaitReplayed(c1, c2, "pg2 replayed the table");
    a2.fence(FenceMode.FAST);

    // The primary moves on without it: no slot holds WAL for it, and a checkpoint recycles what it needs.
    String needed = Db.value(c1, "SELECT pg_walfile_name(restart_lsn) FROM pg_replication_slots WHERE slot_name = 'rf_pg2'");
    Db.execute(c1, "SELECT pg_drop_replication_slot('rf_pg2')");
    for (int i = 0; i < 4; i++) {
      Db.execute(c1, "INSERT INTO t SELECT generate_series(1, 1000); SELECT pg_switch_wal()");
    }
    Await.until("segment " + needed + " removed from the primary's pg_wal", WAIT, () -> {
      Db.valueOrNull(c1, "CHECKPOINT");
      return !Files.exists(c1.dataDirectory().resolve("pg_wal").resolve(needed));
    }, () -> repo.logs() + serverLog(c1));

    a2.startReplica(Optional.of(upstream(c1)));

    awaitReplayed(c1, c2, "pg2 caught up");
    assertThat(Db.value(c2, "SELECT count(*) FROM t")).isEqualTo("4001");
    assertThat(Files.readString(c2.serverLog())).contains("restored log file \"" + needed + "\" from archive");
  }

  @Test
  void aNewClusterIsRestoredFromABackupToARestorePointAndRunsAsPrimaryOfANewTimeline() throws Exception {
    BackupRepository repo = BackupRepository.create(pg);
    PostgresConfig c1 = primary(repo);
    Db.execute(c1, "CREATE TABLE t AS SELECT 1 AS x");
    repo.fullBackup(c1);
    // One statement each: a multi-statement string is one transaction, committed after the restore point.
    Db.execute(c1, "INSERT INTO t VALUES (2)");
    Db.execute(c1, "SELECT pg_create_restore_point('before-3')");
    Db.execute(c1, "INSERT INTO t VALUES (3)");
    switchAndAwaitArchived(c1, repo);
    pg.adapter("pg1", c1).fence(FenceMode.FAST);

    BackupConfig fromBackup = new BackupConfig(BackupConfig.Tool.PGBACKREST, BackupRepository.STANZA,
        Optional.of(repo.configFile()), List.of(BackupConfig.ReplicaMethod.BASEBACKUP),
        Optional.of(new BackupConfig.RecoveryTarget(BackupConfig.RecoveryTarget.Kind.NAME, "before-3")));
    PostgresConfig c3 = repo.configure(pg.config(pg.dataDirectory("pg3")), fromBackup).build();
    PostgresAdapter a3 = pg.adapter("pg3", c3);
    a3.bootstrap(topology(1, "pg4"));

    DatabaseStatus s = a3.status();
    assertThat(s.state()).isEqualTo(DatabaseState.RUNNING_PRIMARY);
    assertThat(s.timeline()).isEqualTo(2);
    assertThat(Db.value(c3, "SELECT string_agg(x::text, ',' ORDER BY x) FROM t")).isEqualTo("1,2");
    assertThat(Db.column(c3, "SELECT slot_name FROM pg_replication_slots")).containsExactly("rf_pg4");
    assertThat(Files.readString(c3.dataDirectory().resolve("postgresql.conf"))).doesNotContain("recovery_target_name");
    // It archives its own timeline to the same stanza.
    Db.execute(c3, "INSERT INTO t VALUES (4)");
    assertThat(switchAndAwaitArchived(c3, repo)).startsWith("00000002");
    // Bootstrap is idempotent once done.
    a3.bootstrap(topology(1, "pg4"));
    assertThat(a3.status().timeline()).isEqualTo(2);
  }
}

package io.ratisfailover.postgres;

import static io.ratisfailover.postgres.testing.PgSandbox.topology;
import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.postgres.testing.BackupRepository;
import io.ratisfailover.postgres.testing.Db;
import io.ratisfailover.postgres.testing.PgSandbox;
import io.ratisfailover.testing.Await;
import java.nio.file.Files;
import java.time.Duration;
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
    String segment = Db.value(c1, "SELECT pg_walfile_name(pg_switch_wal())");
    Await.until("segment " + segment + " archived", WAIT, () -> segment.equals(
        Db.valueOrNull(c1, "SELECT last_archived_wal FROM pg_stat_archiver")), () -> repo.logs() + serverLog(c1));
    assertThat(Db.value(c1, "SELECT failed_count FROM pg_stat_archiver")).isEqualTo("0");

    // The operator's backup works with the stanza the adapter made; making it again changes nothing.
    repo.fullBackup(c1);
    assertThat(repo.pgbackrest(c1, "stanza-create").ok()).isTrue();
    assertThat(repo.pgbackrest(c1, "check").ok()).isTrue();
  }
}

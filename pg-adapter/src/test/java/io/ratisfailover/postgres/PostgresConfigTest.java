package io.ratisfailover.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.MemberId;
import io.ratisfailover.ServerParameters;
import io.ratisfailover.postgres.internal.ServerConfiguration;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PostgresConfigTest {
  private static PostgresConfig.Builder valid() {
    return PostgresConfig.builder().dataDirectory(Path.of("/var/lib/pg/data")).superuser("postgres", "s")
        .replication("replicator", "r");
  }

  @Test
  void defaultsAreUsable() {
    PostgresConfig c = valid().build();
    assertThat(c.port()).isEqualTo(5432);
    assertThat(c.allowDataDirectoryRemoval()).isFalse();
    assertThat(c.rewindPolicy()).isEqualTo(PostgresConfig.RewindPolicy.REWIND);
    assertThat(c.serverLog()).isEqualTo(Path.of("/var/lib/pg/data.log"));
    assertThat(c.connectHost()).isEqualTo("127.0.0.1");
    assertThat(c.toBuilder().build()).isEqualTo(c);
  }

  @Test
  void passwordsNeverShowInToString() {
    PostgresConfig c = valid().superuser("postgres", "hunter2").replication("replicator", "letmein").build();
    assertThat(c.toString()).doesNotContain("hunter2").doesNotContain("letmein").contains("postgres/********");
  }

  @Test
  void everyImpossibleValueIsNamed() {
    assertThatThrownBy(() -> PostgresConfig.builder().build()).hasMessageContaining("dataDirectory is required");
    assertThatThrownBy(() -> valid().dataDirectory(Path.of("rel/dir")).build()).hasMessageContaining("dataDirectory must be an absolute");
    assertThatThrownBy(() -> valid().port(0).build()).hasMessageContaining("port");
    assertThatThrownBy(() -> valid().listenHost("0.0.0.0").build()).hasMessageContaining("advertisedHost is required");
    assertThatThrownBy(() -> valid().listenHost("a b").build()).hasMessageContaining("listenHost");
    assertThatThrownBy(() -> valid().osUser("root").build()).hasMessageContaining("osUser");
    assertThatThrownBy(() -> valid().superuser("postgres", "").build()).hasMessageContaining("superuser password is required");
    assertThatThrownBy(() -> valid().replication("Bad-Name", "x").build()).hasMessageContaining("replication user");
    assertThatThrownBy(() -> valid().replication("postgres", "x").build()).hasMessageContaining("must differ");
    assertThatThrownBy(() -> valid().serverParameter("port", "1").build())
        .hasMessageContaining("serverParameters: port is set by the adapter");
    assertThatThrownBy(() -> valid().serverParameter("synchronous_standby_names", "*").build())
        .hasMessageContaining("synchronous_standby_names");
    assertThatThrownBy(() -> valid().serverParameter("work mem", "1").build()).hasMessageContaining("not a parameter name");
    assertThatThrownBy(() -> valid().serverParameter("wal_level", "minimal").build()).hasMessageContaining("wal_level");
    assertThatThrownBy(() -> valid().serverParameter("work_mem", "1\n2").build()).hasMessageContaining("one line");
    assertThatThrownBy(() -> valid().clientNetwork("10.0.0.0").build()).hasMessageContaining("clientNetworks");
    assertThatThrownBy(() -> valid().initdbArguments(List.of("--pgdata=/x")).build()).hasMessageContaining("--pgdata");
    assertThatThrownBy(() -> valid().rewindPolicy(PostgresConfig.RewindPolicy.REWIND_THEN_RECLONE).build())
        .hasMessageContaining("allowDataDirectoryRemoval");
    assertThatThrownBy(() -> valid().statusTimeout(Duration.ofMillis(10)).build()).hasMessageContaining("statusTimeout");
  }

  @Test
  void theRenderedConfigurationKeepsManagedSettingsLast() {
    PostgresConfig c = valid().port(6543).serverParameter("wal_keep_size", "1GB").serverParameter("Work_Mem", "8MB").build();
    String conf = ServerConfiguration.postgresqlConf(MemberId.of("pg1"), c, ServerConfiguration.Role.primary("FIRST 1 (\"pg2\")"));
    assertThat(conf).startsWith("# Written by ratis-failover for member pg1.")
        .contains("include_if_exists = 'postgresql.base.conf'").contains("port = '6543'")
        .contains("wal_keep_size = '1GB'").doesNotContain("wal_keep_size = '512MB'").contains("work_mem = '8MB'")
        .contains("synchronous_standby_names = 'FIRST 1 (\"pg2\")'").contains("primary_conninfo = ''")
        .contains("wal_log_hints = 'on'");
    assertThat(conf.indexOf("include_if_exists")).isLessThan(conf.indexOf("port ="));
    String hba = ServerConfiguration.pgHbaConf(MemberId.of("pg1"), valid().clientNetwork("10.1.0.0/16").build());
    assertThat(hba).contains("replication  replicator").contains("10.1.0.0/16").contains("scram-sha-256")
        .doesNotContain("trust");
    assertThat(Optional.of(c.superuser().user())).contains("postgres");
  }

  @Test
  void theClusterFileComesAfterTheAdapterDefaultsAndBeforeTheMembersOwnSettings() {
    PostgresConfig c = valid().serverParameter("work_mem", "8MB").build();
    String conf = ServerConfiguration.postgresqlConf(MemberId.of("pg1"), c, ServerConfiguration.Role.primary(""));
    int cluster = conf.indexOf("include_if_exists = 'postgresql.cluster.conf'");
    assertThat(cluster).isGreaterThan(conf.indexOf("wal_keep_size = '512MB'"));
    assertThat(cluster).isLessThan(conf.indexOf("work_mem = '8MB'"));
    assertThat(cluster).isLessThan(conf.indexOf("primary_conninfo ="));
    ServerParameters p = new ServerParameters(Map.of("work_mem", "64MB", "log_line_prefix", "it's %m"),
        List.of("hostssl all app 10.2.0.0/16 cert"));
    assertThat(ServerConfiguration.clusterConf(MemberId.of("pg1"), p))
        .contains("log_line_prefix = 'it''s %m'\nwork_mem = '64MB'\n");
    String hba = ServerConfiguration.pgHbaConf(MemberId.of("pg1"), c,
        ServerConfiguration.parseClusterHba(ServerConfiguration.clusterHba(p)));
    assertThat(hba).endsWith("hostssl all app 10.2.0.0/16 cert\n");
    assertThat(hba.indexOf("10.2.0.0/16")).isGreaterThan(hba.indexOf("replication"));
  }

  @Test
  void theClusterRefusesEveryParameterTheAdapterManages() {
    assertThat(ServerParameters.RESERVED).containsAll(PostgresConfig.MANAGED_PARAMETERS);
  }

  @Test
  void aBackupToolOwnsArchivingAndRestoreCommandIsNeverTheMembers() {
    BackupConfig backup = BackupConfig.archiveOnly(BackupConfig.Tool.PGBACKREST, "main", Optional.empty());
    java.util.function.Supplier<PostgresConfig.Builder> withSocket =
        () -> valid().serverParameter("unix_socket_directories", "/run/pg");
    assertThatThrownBy(() -> valid().serverParameter("restore_command", "cp /a/%f %p").build())
        .hasMessageContaining("restore_command is set by the adapter only when a backup tool is configured");
    assertThatThrownBy(() -> withSocket.get().serverParameter("restore_command", "x").backup(backup).build())
        .hasMessage("serverParameters: restore_command is set by the adapter for the backup tool pgbackrest (stanza main);"
            + " remove it from the parameters");
    assertThatThrownBy(() -> withSocket.get().serverParameter("archive_command", "x").backup(backup).build())
        .hasMessageContaining("archive_command is set by the adapter for the backup tool pgbackrest");
    assertThatThrownBy(() -> withSocket.get().serverParameter("archive_mode", "off").backup(backup).build())
        .hasMessageContaining("archive_mode is set by the adapter");
    assertThatThrownBy(() -> valid().backup(backup).build()).hasMessageContaining("unix_socket_directories");
    // Without a backup tool, archiving stays the member's own business.
    assertThat(valid().serverParameter("archive_command", "cp %p /a/%f").build().serverParameters())
        .containsEntry("archive_command", "cp %p /a/%f");
    assertThatThrownBy(() -> new BackupConfig(BackupConfig.Tool.PGBACKREST, "bad name", Optional.empty(),
        List.of(BackupConfig.ReplicaMethod.BASEBACKUP), Optional.empty())).hasMessageContaining("stanza");

    PostgresConfig c = withSocket.get().backup(backup).build();
    assertThat(c.toBuilder().build()).isEqualTo(c);
    String conf = ServerConfiguration.postgresqlConf(MemberId.of("pg1"), c, ServerConfiguration.Role.primary(""));
    assertThat(conf).contains("archive_mode = 'on'")
        .contains("archive_command = 'pgbackrest --stanza=main --pg1-path=/var/lib/pg/data archive-push \"%p\"'")
        .contains("restore_command = 'pgbackrest --stanza=main --pg1-path=/var/lib/pg/data archive-get \"%f\" \"%p\"'");
  }
}

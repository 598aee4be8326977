package io.ratisfailover.postgres.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.postgres.BackupConfig;
import io.ratisfailover.postgres.PostgresConfig;
import io.ratisfailover.postgres.internal.OsAccount;
import io.ratisfailover.postgres.internal.ToolRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A pgBackRest repository on the local file system for one test: {@code pgbackrest.conf} (the
 * repository, logs, locks and spool all inside the test's directory, owned by the server's OS
 * user), and the operator's commands run as that user. Tests skip when pgBackRest is not installed.
 */
public final class BackupRepository {
  public static final String STANZA = "rf-test";
  private static final Duration TOOL = Duration.ofMinutes(2);

  private final Path root;
  private final Path configFile;
  private final ToolRunner runner;

  private BackupRepository(Path root) {
    this.root = root;
    this.configFile = root.resolve("pgbackrest.conf");
    this.runner = new ToolRunner(OsAccount.resolve(PgSandbox.osUser()));
  }

  /** A new, empty repository in a directory of the sandbox's current test. */
  public static BackupRepository create(PgSandbox pg) throws IOException {
    org.junit.jupiter.api.Assumptions.assumeTrue(PgSandbox.run(List.of("pgbackrest", "version")) == 0,
        "pgBackRest is needed (apt-get install pgbackrest)");
    BackupRepository r = new BackupRepository(pg.dataDirectory("backup"));
    for (String dir : List.of("repo", "log", "lock", "spool", "sockets")) {
      Files.createDirectories(r.root.resolve(dir));
    }
    Files.writeString(r.configFile, String.join("\n", "[global]", "repo1-path=" + r.root.resolve("repo"),
        "repo1-retention-full=2", "log-path=" + r.root.resolve("log"), "lock-path=" + r.root.resolve("lock"),
        "spool-path=" + r.root.resolve("spool"), "start-fast=y", "archive-timeout=30", "log-level-console=warn",
        "log-level-file=detail", ""));
    if (PgSandbox.osUser().isPresent()) {
      assertThat(PgSandbox.run(List.of("chown", "-R", PgSandbox.osUser().get() + ":", r.root.toString()))).isZero();
    }
    return r;
  }

  public Path configFile() {
    return configFile;
  }

  /** A directory for a server's local socket, which pgBackRest connects through. */
  public Path socketDirectory() {
    return root.resolve("sockets");
  }

  /** Archiving and restoring through this repository, with the given replica methods. */
  public BackupConfig backup(BackupConfig.ReplicaMethod... replicaMethods) {
    return new BackupConfig(BackupConfig.Tool.PGBACKREST, STANZA, Optional.of(configFile),
        replicaMethods.length == 0 ? List.of(BackupConfig.ReplicaMethod.BASEBACKUP) : List.of(replicaMethods),
        Optional.empty());
  }

  /** {@code config} with a local socket in this repository's directory and {@code backup}. */
  public PostgresConfig.Builder configure(PostgresConfig.Builder config, BackupConfig backup) {
    return config.serverParameter("unix_socket_directories", socketDirectory().toString()).backup(backup);
  }

  /** Runs {@code pgbackrest} as the server's OS user against {@code server}, as an operator would. */
  public ToolRunner.Result pgbackrest(PostgresConfig server, String... command) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("pgbackrest", "--config=" + configFile, "--stanza=" + STANZA,
        "--pg1-path=" + server.dataDirectory(), "--pg1-port=" + server.port(),
        "--pg1-socket-path=" + socketDirectory()));
    cmd.addAll(List.of(command));
    return runner.run(cmd, Map.of(), TOOL);
  }

  /** A full backup of {@code primary}; fails the test when pgBackRest fails. */
  public void fullBackup(PostgresConfig primary) throws IOException {
    ToolRunner.Result r = pgbackrest(primary, "backup", "--type=full");
    assertThat(r.ok()).as("pgbackrest backup: %s", r.message()).isTrue();
  }

  /** {@code pgbackrest info} in JSON: the stanza's backups and archive. */
  public String info() throws IOException {
    ToolRunner.Result r = runner.run(List.of("pgbackrest", "--config=" + configFile, "--stanza=" + STANZA, "info",
        "--output=json"), Map.of(), TOOL);
    assertThat(r.ok()).as("pgbackrest info: %s", r.message()).isTrue();
    return r.stdout();
  }

  /** Whether the repository holds the stanza (made by the adapter's {@code stanza-create}). */
  public boolean hasStanza() {
    return Files.isRegularFile(root.resolve("repo/archive/" + STANZA + "/archive.info"));
  }

  /** The whole log of one pgBackRest command, such as {@code backup}; empty when it never ran. */
  public String log(String command) throws IOException {
    Path f = root.resolve("log").resolve(STANZA + "-" + command + ".log");
    return Files.exists(f) ? Files.readString(f) : "";
  }

  /** What pgBackRest's own log says, for failure messages. */
  public String logs() {
    StringBuilder b = new StringBuilder();
    try (var files = Files.list(root.resolve("log"))) {
      for (Path f : files.sorted().toList()) {
        String text = Files.readString(f);
        b.append("== ").append(f.getFileName()).append('\n')
            .append(text.substring(Math.max(0, text.length() - 3000))).append('\n');
      }
    } catch (IOException e) {
      b.append("cannot read the logs: ").append(e);
    }
    return b.toString();
  }
}

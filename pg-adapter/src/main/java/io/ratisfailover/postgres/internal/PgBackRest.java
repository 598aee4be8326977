package io.ratisfailover.postgres.internal;

import io.ratisfailover.postgres.BackupConfig;
import io.ratisfailover.postgres.PostgresConfig;
import io.ratisfailover.spi.DatabaseException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * pgBackRest ({@code pgbackrest}), with the member's stanza and configuration file. The options
 * that describe the local server (data directory, port, socket directory, user) are passed on every
 * command line, from the member's configuration, so that {@code pgbackrest.conf} holds only the
 * repository and cannot disagree with the server it serves.
 */
final class PgBackRest implements BackupTool {
  private static final java.util.Set<String> CONNECTING = java.util.Set.of("stanza-create", "check", "backup");
  private final BackupConfig backup;
  private final PostgresConfig config;

  PgBackRest(BackupConfig backup, PostgresConfig config) {
    this.backup = backup;
    this.config = config;
  }

  @Override
  public String describe() {
    return "pgbackrest stanza " + backup.stanza();
  }

  @Override
  public String archiveCommand() {
    return shellCommand(List.of("archive-push", "%p"));
  }

  @Override
  public String restoreCommand() {
    return shellCommand(List.of("archive-get", "%f", "%p"));
  }

  @Override
  public void createStanza(ToolRunner runner, Duration timeout) throws DatabaseException {
    ToolRunner.Result r = run(runner, List.of("stanza-create"), timeout);
    if (!r.ok()) {
      throw failure("pgbackrest could not create stanza " + backup.stanza(), r);
    }
  }

  @Override
  public void restore(ToolRunner runner, BackupConfig.RecoveryTarget target, Duration timeout) throws DatabaseException {
    // The type and target only choose the backup (one from before a time or LSN); the adapter writes
    // the recovery settings over what pgBackRest writes.
    List<String> args = new ArrayList<>(List.of("restore"));
    switch (target.kind()) {
      case LATEST -> args.add("--type=default");
      case TIME -> args.addAll(List.of("--type=time", "--target=" + target.value()));
      case LSN -> args.addAll(List.of("--type=lsn", "--target=" + target.value()));
      case NAME -> args.addAll(List.of("--type=name", "--target=" + target.value()));
      case XID -> args.addAll(List.of("--type=xid", "--target=" + target.value()));
    }
    ToolRunner.Result r = run(runner, args, timeout);
    if (!r.ok()) {
      throw failure("pgbackrest could not restore stanza " + backup.stanza() + " into " + config.dataDirectory(), r);
    }
  }

  /**
   * The program and the options {@code command} takes, then {@code command}: the connection options
   * only for the commands that connect to the server (pgBackRest refuses them elsewhere).
   */
  List<String> commandLine(List<String> command) {
    List<String> cmd = new ArrayList<>();
    cmd.add(backup.tool().command());
    backup.configFile().ifPresent(f -> cmd.add("--config=" + f));
    cmd.add("--stanza=" + backup.stanza());
    cmd.add("--pg1-path=" + config.dataDirectory());
    if (CONNECTING.contains(command.get(0))) {
      cmd.add("--pg1-port=" + config.port());
      config.socketDirectory().ifPresent(s -> cmd.add("--pg1-socket-path=" + s));
      cmd.add("--pg1-user=" + config.superuser().user());
    }
    cmd.addAll(command);
    return cmd;
  }

  /** The command line for {@code archive_command} and {@code restore_command}, which PostgreSQL runs through the shell. */
  private String shellCommand(List<String> command) {
    StringBuilder b = new StringBuilder();
    for (String word : commandLine(command)) {
      if (b.length() > 0) {
        b.append(' ');
      }
      // %p and %f are PostgreSQL's placeholders, replaced before the shell sees the line.
      b.append(word.startsWith("%") ? "\"" + word + "\"" : shellQuote(word));
    }
    return b.toString();
  }

  private static String shellQuote(String word) {
    return word.matches("[A-Za-z0-9_./=:-]+") ? word : "'" + word.replace("'", "'\\''") + "'";
  }

  private ToolRunner.Result run(ToolRunner runner, List<String> command, Duration timeout) throws DatabaseException {
    List<String> cmd = commandLine(command);
    try {
      return runner.run(cmd, Map.of(), timeout);
    } catch (IOException e) {
      throw new DatabaseException(DatabaseException.Kind.MISCONFIGURED, "cannot run " + cmd.get(0) + " (is pgBackRest"
          + " installed?): " + e.getMessage(), e);
    }
  }

  private DatabaseException failure(String what, ToolRunner.Result r) {
    if (r.timedOut()) {
      return new DatabaseException(DatabaseException.Kind.TRANSIENT, what + ": it did not finish in time and was stopped");
    }
    String msg = r.message();
    String lower = msg.toLowerCase(Locale.ROOT);
    DatabaseException.Kind kind = lower.contains("unable to open") || lower.contains("permission denied")
        || lower.contains("invalid") || lower.contains("does not match") ? DatabaseException.Kind.MISCONFIGURED
        : DatabaseException.Kind.TRANSIENT;
    return new DatabaseException(kind, what + ": " + msg);
  }
}

package io.ratisfailover.postgres;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A backup tool the adapter works with: it archives WAL through it ({@code archive_mode},
 * {@code archive_command}), reads WAL back through it ({@code restore_command}), creates its
 * repository's stanza on the primary, and, when asked, makes new standbys and new clusters from its
 * backups.
 *
 * @param tool which tool
 * @param stanza the tool's name for this cluster in the repository (pgBackRest's {@code --stanza})
 * @param configFile the tool's own configuration file (pgBackRest's {@code --config}); the tool's
 *     default when empty. The adapter passes the data directory, port and socket directory itself.
 * @param replicaMethods how a new standby gets its data directory, tried in order until one works
 * @param bootstrap when present, a new cluster is restored from the newest backup (recovered up to
 *     this target) instead of made by {@code initdb}
 */
public record BackupConfig(Tool tool, String stanza, Optional<Path> configFile, List<ReplicaMethod> replicaMethods,
    Optional<RecoveryTarget> bootstrap) {
  private static final Pattern STANZA = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

  /** The backup tools the adapter can drive. */
  public enum Tool {
    PGBACKREST("pgbackrest");

    private final String command;

    Tool(String command) {
      this.command = command;
    }

    /** The program, looked up through {@code PATH}; also the tool's name in configuration files. */
    public String command() {
      return command;
    }
  }

  /** One way of making a standby's data directory. */
  public enum ReplicaMethod {
    /** Restore the newest backup from the backup tool's repository; WAL since comes from the archive. */
    BACKUP_TOOL,
    /** Copy the upstream's data directory with {@code pg_basebackup}. */
    BASEBACKUP
  }

  public BackupConfig {
    Objects.requireNonNull(tool, "tool");
    Objects.requireNonNull(configFile, "configFile");
    Objects.requireNonNull(bootstrap, "bootstrap");
    if (stanza == null || !STANZA.matcher(stanza).matches()) {
      throw new IllegalArgumentException("backup stanza must be 1 to 63 letters, digits, '_', '.' or '-', got '"
          + stanza + "'");
    }
    configFile.ifPresent(p -> {
      if (!p.isAbsolute()) {
        throw new IllegalArgumentException("backup config must be an absolute path, got " + p);
      }
    });
    replicaMethods = List.copyOf(replicaMethods);
    if (replicaMethods.isEmpty()) {
      throw new IllegalArgumentException("backup replica methods must name at least one method");
    }
    if (replicaMethods.stream().distinct().count() != replicaMethods.size()) {
      throw new IllegalArgumentException("backup replica methods name a method twice: " + replicaMethods);
    }
  }

  /** Archiving and restoring WAL only: standbys are cloned with pg_basebackup, clusters made by initdb. */
  public static BackupConfig archiveOnly(Tool tool, String stanza, Optional<Path> configFile) {
    return new BackupConfig(tool, stanza, configFile, List.of(ReplicaMethod.BASEBACKUP), Optional.empty());
  }

  /**
   * Where the recovery of a cluster restored from a backup stops before it becomes a primary on a new
   * timeline.
   *
   * @param kind what {@code value} names
   * @param value the target as PostgreSQL reads it; empty for {@link Kind#LATEST}
   */
  public record RecoveryTarget(Kind kind, String value) {
    /** PostgreSQL's recovery targets, and the end of the archive. */
    public enum Kind {
      /** Replay all archived WAL. */
      LATEST(""),
      /** {@code recovery_target_time}: a timestamp with time zone. */
      TIME("recovery_target_time"),
      /** {@code recovery_target_lsn}. */
      LSN("recovery_target_lsn"),
      /** {@code recovery_target_name}: a restore point made with {@code pg_create_restore_point}. */
      NAME("recovery_target_name"),
      /** {@code recovery_target_xid}. */
      XID("recovery_target_xid");

      private final String setting;

      Kind(String setting) {
        this.setting = setting;
      }

      /** The server setting this target goes into; empty for {@link #LATEST}. */
      public String setting() {
        return setting;
      }
    }

    public static final RecoveryTarget LATEST = new RecoveryTarget(Kind.LATEST, "");

    public RecoveryTarget {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(value, "value");
      if (kind == Kind.LATEST != value.isEmpty()) {
        throw new IllegalArgumentException(kind == Kind.LATEST ? "the latest recovery target takes no value"
            : "recovery target " + kind.setting() + " needs a value");
      }
      if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
        throw new IllegalArgumentException("recovery target " + kind.setting() + " must be one line of text");
      }
    }
  }
}

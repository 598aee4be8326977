package io.ratisfailover.postgres.internal;

import io.ratisfailover.postgres.BackupConfig;
import io.ratisfailover.postgres.PostgresConfig;
import io.ratisfailover.spi.DatabaseException;
import java.time.Duration;

/**
 * What the adapter needs from a backup tool (pgBackRest today; WAL-G or barman can follow): the
 * commands PostgreSQL runs to archive and fetch WAL, the repository's record of the cluster, and a
 * restore of a backup into an empty data directory. The adapter writes every recovery setting
 * itself after a restore, so a tool needs to know nothing about roles.
 *
 * <p>Methods that run the tool block for at most their timeout and run it through the given runner,
 * as the server's OS user.
 */
public interface BackupTool {
  /** The tool for {@code backup}, driving the server of {@code config}. */
  static BackupTool of(BackupConfig backup, PostgresConfig config) {
    return switch (backup.tool()) {
      case PGBACKREST -> new PgBackRest(backup, config);
    };
  }

  /** The tool and its repository's name for the cluster, for messages. */
  String describe();

  /** {@code archive_command}: copies the finished segment {@code %p} to the repository. */
  String archiveCommand();

  /** {@code restore_command}: copies the segment or history file {@code %f} from the repository to {@code %p}. */
  String restoreCommand();

  /**
   * Makes sure the repository knows this cluster (pgBackRest's {@code stanza-create}); run on a
   * running primary. Idempotent: does nothing when the record exists and matches the cluster.
   */
  void createStanza(ToolRunner runner, Duration timeout) throws DatabaseException;

  /**
   * Restores the newest backup that reaches {@code target} into the empty, existing data
   * directory. The caller then writes the recovery settings and signal files it wants.
   *
   * @throws DatabaseException when the repository has no such backup or the restore failed; the
   *     data directory may then hold part of a restore
   */
  void restore(ToolRunner runner, BackupConfig.RecoveryTarget target, Duration timeout) throws DatabaseException;
}

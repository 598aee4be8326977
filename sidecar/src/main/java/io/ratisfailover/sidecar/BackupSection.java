package io.ratisfailover.sidecar;

import io.ratisfailover.node.config.ConfigException;
import io.ratisfailover.node.config.Values;
import io.ratisfailover.postgres.BackupConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code backup:} — the backup tool the sidecar archives WAL to and restores from:
 *
 * <pre>
 * backup:
 *   tool: pgbackrest
 *   stanza: orders
 *   config: /etc/pgbackrest/pgbackrest.conf
 *   replica_methods: [pgbackrest, basebackup]      # default [basebackup]
 *   bootstrap: {method: pgbackrest, target_time: "2026-12-03 17:00:00+00"}   # default method: initdb
 * </pre>
 *
 * With it, the sidecar sets {@code archive_mode}, {@code archive_command} and {@code restore_command}.
 */
public record BackupSection(String tool, String stanza, String config, List<String> replicaMethods,
    BootstrapSection bootstrap) {

  /**
   * {@code backup.bootstrap:} — how a new cluster is made: {@code initdb}, or a restore of the newest
   * backup recovered to at most one target (none: the end of the archive).
   */
  public record BootstrapSection(String method, String targetTime, String targetLsn, String targetName,
      String targetXid) {}

  BackupConfig toBackup(String at) {
    BackupConfig.Tool t = switch (Values.required(at + ".tool", tool)) {
      case "pgbackrest" -> BackupConfig.Tool.PGBACKREST;
      default -> throw ConfigException.at(at + ".tool", "'" + tool + "' is not one of pgbackrest");
    };
    List<BackupConfig.ReplicaMethod> methods = new ArrayList<>();
    for (String m : replicaMethods == null ? List.of("basebackup") : replicaMethods) {
      if (t.command().equals(m)) {
        methods.add(BackupConfig.ReplicaMethod.BACKUP_TOOL);
      } else if ("basebackup".equals(m)) {
        methods.add(BackupConfig.ReplicaMethod.BASEBACKUP);
      } else {
        throw ConfigException.at(at + ".replica_methods", "'" + m + "' is not one of " + t.command() + ", basebackup");
      }
    }
    Optional<BackupConfig.RecoveryTarget> restore = bootstrap == null ? Optional.empty() : target(at + ".bootstrap", t);
    return Values.checked(at, () -> new BackupConfig(t, Values.required(at + ".stanza", stanza),
        Optional.ofNullable(config).map(Path::of), methods, restore));
  }

  private Optional<BackupConfig.RecoveryTarget> target(String at, BackupConfig.Tool t) {
    String method = bootstrap.method() == null ? "initdb" : bootstrap.method();
    List<BackupConfig.RecoveryTarget> targets = new ArrayList<>();
    add(targets, BackupConfig.RecoveryTarget.Kind.TIME, bootstrap.targetTime());
    add(targets, BackupConfig.RecoveryTarget.Kind.LSN, bootstrap.targetLsn());
    add(targets, BackupConfig.RecoveryTarget.Kind.NAME, bootstrap.targetName());
    add(targets, BackupConfig.RecoveryTarget.Kind.XID, bootstrap.targetXid());
    if (method.equals("initdb")) {
      if (!targets.isEmpty()) {
        throw ConfigException.at(at, "a recovery target needs method " + t.command() + ", not initdb");
      }
      return Optional.empty();
    }
    if (!method.equals(t.command())) {
      throw ConfigException.at(at + ".method", "'" + method + "' is not one of initdb, " + t.command());
    }
    if (targets.size() > 1) {
      throw ConfigException.at(at, "name at most one of target_time, target_lsn, target_name, target_xid");
    }
    return Optional.of(targets.isEmpty() ? BackupConfig.RecoveryTarget.LATEST : targets.get(0));
  }

  private static void add(List<BackupConfig.RecoveryTarget> targets, BackupConfig.RecoveryTarget.Kind kind, String value) {
    if (value != null) {
      targets.add(Values.checked("backup.bootstrap", () -> new BackupConfig.RecoveryTarget(kind, value)));
    }
  }
}

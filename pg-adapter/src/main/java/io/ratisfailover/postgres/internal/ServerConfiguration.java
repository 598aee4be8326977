package io.ratisfailover.postgres.internal;

import io.ratisfailover.MemberId;
import io.ratisfailover.ServerParameters;
import io.ratisfailover.postgres.BackupConfig;
import io.ratisfailover.postgres.PostgresConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The configuration files the adapter owns, rendered from the member's {@link PostgresConfig} and
 * the server's current role. {@code postgresql.conf} first includes {@code postgresql.base.conf}
 * (what {@code initdb} wrote: locale, time zone), then the adapter's defaults, then
 * {@link #CLUSTER_FILE} (the cluster's {@code postgresql.parameters}), then the member's own
 * parameters and everything the adapter relies on: a member's local setting wins over the
 * cluster's, and the last word is always the adapter's.
 */
public final class ServerConfiguration {
  public static final String BASE_FILE = "postgresql.base.conf";
  /** The cluster-wide parameters from the replicated settings, as last applied. */
  public static final String CLUSTER_FILE = "postgresql.cluster.conf";
  /** The cluster-wide {@code pg_hba} lines, one a line, as last applied. */
  public static final String CLUSTER_HBA_FILE = "pg_hba.cluster.conf";

  private ServerConfiguration() {}

  /**
   * What differs between roles.
   *
   * @param primaryConninfo where a standby streams from; empty on a primary or a standby without upstream
   * @param primarySlot the slot a standby streams through on its upstream
   * @param synchronousStandbyNames the primary's synchronous standbys; empty for a standby
   * @param recoveryTarget where the recovery of a cluster restored from a backup pauses, to be
   *     promoted by the adapter; empty for every other role
   */
  public record Role(Optional<Conninfo> primaryConninfo, Optional<String> primarySlot, String synchronousStandbyNames,
      Optional<BackupConfig.RecoveryTarget> recoveryTarget) {
    public static Role primary(String synchronousStandbyNames) {
      return new Role(Optional.empty(), Optional.empty(), synchronousStandbyNames, Optional.empty());
    }

    public static Role standby(Optional<Conninfo> conninfo, Optional<String> slot) {
      return new Role(conninfo, slot, "", Optional.empty());
    }

    /** A cluster restored from a backup, recovering from the archive up to {@code target}. */
    public static Role recovering(BackupConfig.RecoveryTarget target) {
      return new Role(Optional.empty(), Optional.empty(), "", Optional.of(target));
    }
  }

  /** Settings the adapter needs for replication and rewind; a member's serverParameters may change them. */
  static Map<String, String> defaults() {
    Map<String, String> d = new LinkedHashMap<>();
    d.put("wal_level", "replica");
    d.put("password_encryption", "scram-sha-256");
    // pg_rewind needs hint-bit changes in the WAL when data checksums are off.
    d.put("wal_log_hints", "on");
    // WAL a returning former primary needs for pg_rewind, and a standby for catching up without a slot.
    d.put("wal_keep_size", "512MB");
    d.put("max_wal_senders", "10");
    d.put("max_replication_slots", "10");
    // Standbys report their positions often enough for the agent's synchronous bookkeeping.
    d.put("wal_receiver_status_interval", "1s");
    // A standby pointed at a new primary retries quickly instead of after the default 5 s.
    d.put("wal_retrieve_retry_interval", "1s");
    // The adapter connects over TCP; local sockets are opt-in (their default directory may not exist).
    d.put("unix_socket_directories", "");
    return d;
  }

  private static final List<String> LOOPBACK = List.of("127.0.0.1/32", "::1/128");

  /** libpq settings that make a client verify an upstream's certificate, when TLS is configured. */
  public static Conninfo withSsl(Conninfo conninfo, PostgresConfig config) {
    config.ssl().ifPresent(ssl -> conninfo.set("sslmode", ssl.verify().sslmode())
        .set("sslrootcert", ssl.ca().toString()));
    return conninfo;
  }

  public static String postgresqlConf(MemberId member, PostgresConfig config, Role role) {
    StringBuilder b = new StringBuilder();
    b.append("# Written by ratis-failover for member ").append(member).append(".\n")
        .append("# Rewritten on every role change: change the member's configuration instead.\n")
        .append("include_if_exists = '").append(BASE_FILE).append("'\n\n");
    Map<String, String> defaults = new LinkedHashMap<>(defaults());
    defaults.keySet().removeAll(config.serverParameters().keySet());
    defaults.forEach((k, v) -> b.append(k).append(" = ").append(quote(v)).append('\n'));
    b.append("\n# The cluster's postgresql.parameters (rfctl edit-config); the settings below win over them.\n")
        .append("include_if_exists = '").append(CLUSTER_FILE).append("'\n\n");
    Map<String, String> settings = new LinkedHashMap<>(config.serverParameters());
    settings.put("listen_addresses", config.listenHost());
    settings.put("port", Integer.toString(config.port()));
    settings.put("hot_standby", "on");
    settings.put("recovery_target_timeline", "latest");
    settings.put("synchronous_standby_names", role.synchronousStandbyNames());
    settings.put("primary_conninfo", role.primaryConninfo().map(Conninfo::toString).orElse(""));
    settings.put("primary_slot_name", role.primarySlot().orElse(""));
    config.backup().map(backup -> BackupTool.of(backup, config)).ifPresent(tool -> {
      // Only a primary archives (archive_mode on); every role can read WAL back from the archive.
      settings.put("archive_mode", "on");
      settings.put("archive_command", tool.archiveCommand());
      settings.put("restore_command", tool.restoreCommand());
    });
    role.recoveryTarget().filter(t -> t.kind() != BackupConfig.RecoveryTarget.Kind.LATEST).ifPresent(t -> {
      settings.put(t.kind().setting(), t.value());
      // Paused at the target, the adapter checks its lease before it promotes.
      settings.put("recovery_target_action", "pause");
    });
    config.ssl().ifPresent(ssl -> {
      settings.put("ssl", "on");
      settings.put("ssl_cert_file", ssl.certificate().toString());
      settings.put("ssl_key_file", ssl.key().toString());
      settings.put("ssl_ca_file", ssl.ca().toString());
    });
    settings.forEach((k, v) -> b.append(k).append(" = ").append(quote(v)).append('\n'));
    return b.toString();
  }

  /** The contents of {@link #CLUSTER_FILE}: the cluster's parameters, by name. */
  public static String clusterConf(MemberId member, ServerParameters parameters) {
    StringBuilder b = new StringBuilder();
    b.append("# Written by ratis-failover for member ").append(member)
        .append(": the cluster's postgresql.parameters. Change them with rfctl edit-config.\n");
    parameters.sortedParameters().forEach((k, v) -> b.append(k).append(" = ").append(quote(v)).append('\n'));
    return b.toString();
  }

  /** The contents of {@link #CLUSTER_HBA_FILE}: the lines, one a line. */
  public static String clusterHba(ServerParameters parameters) {
    StringBuilder b = new StringBuilder();
    parameters.pgHba().forEach(line -> b.append(line).append('\n'));
    return b.toString();
  }

  /** The lines {@link #clusterHba} wrote. */
  public static List<String> parseClusterHba(String content) {
    return content.lines().filter(l -> !l.isBlank()).toList();
  }

  /** {@link #pgHbaConf(MemberId, PostgresConfig, List)} without cluster lines. */
  public static String pgHbaConf(MemberId member, PostgresConfig config) {
    return pgHbaConf(member, config, List.of());
  }

  /**
   * Password authentication for everyone over TCP; replication for the replication role only; the
   * OS user's own login over a local socket, if sockets are enabled. Then the cluster's lines: after
   * the adapter's, so that no cluster-wide line can lock the members out of each other (PostgreSQL
   * uses the first line that matches).
   */
  public static String pgHbaConf(MemberId member, PostgresConfig config, List<String> clusterLines) {
    StringBuilder b = new StringBuilder();
    b.append("# Written by ratis-failover for member ").append(member).append(".\n");
    b.append(line("local", "all", "all", "", "peer"));
    String repl = config.replication().user();
    for (String net : networks(config)) {
      // With TLS configured, the networks beyond this host must use it; loopback never leaves the host.
      String type = config.ssl().isPresent() && !LOOPBACK.contains(net) ? "hostssl" : "host";
      b.append(line(type, "all", "all", net, "scram-sha-256"));
      b.append(line(type, "replication", repl, net, "scram-sha-256"));
    }
    if (!clusterLines.isEmpty()) {
      b.append("# The cluster's postgresql.pg_hba (rfctl edit-config).\n");
      clusterLines.forEach(l -> b.append(l.strip()).append('\n'));
    }
    return b.toString();
  }

  /**
   * {@code postgresql.auto.conf} without the settings the adapter manages: an {@code ALTER SYSTEM}
   * (or a copy from the primary by {@code pg_basebackup} or {@code pg_rewind}) must not override
   * where a standby streams from or which standbys a primary waits for; nor, with a backup tool
   * configured, where WAL is archived to (a restore by the tool also writes its settings there).
   */
  public static String cleanAutoConf(String current, PostgresConfig config) {
    StringBuilder b = new StringBuilder();
    for (String line : current.split("\n", -1)) {
      String name = line.strip().split("[\\s=]", 2)[0].toLowerCase(java.util.Locale.ROOT);
      boolean backups = config.backup().isPresent() && PostgresConfig.BACKUP_PARAMETERS.contains(name);
      if (!PostgresConfig.MANAGED_PARAMETERS.contains(name) && !backups) {
        b.append(line).append('\n');
      }
    }
    String s = b.toString();
    while (s.endsWith("\n\n")) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }

  private static Iterable<String> networks(PostgresConfig config) {
    java.util.LinkedHashSet<String> nets = new java.util.LinkedHashSet<>(LOOPBACK);
    nets.addAll(config.clientNetworks());
    return nets;
  }

  private static String line(String type, String db, String user, String address, String method) {
    return String.format("%-7s %-12s %-16s %-20s %s%n", type, db, user, address, method);
  }

  static String quote(String value) {
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
  }
}

package io.ratisfailover;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The cluster-wide PostgreSQL settings kept in the replicated state (Patroni's
 * {@code postgresql.parameters} and {@code postgresql.pg_hba} in the dynamic configuration): every
 * data member writes them into the configuration it manages and reloads. A member's own local
 * parameters win over these where both set a key.
 *
 * @param parameters server parameters by name, for example {@code work_mem -> 64MB}
 * @param pgHba lines added to every member's {@code pg_hba.conf}, after the lines the adapter
 *     needs for replication and its own connections
 * @param slots permanent replication slots by name (Patroni's {@code slots}), which the primary
 *     creates where missing; the members' own {@code rf_*} slots are not among them
 */
public record ServerParameters(Map<String, String> parameters, List<String> pgHba, Map<String, ReplicationSlot> slots) {

  public static final ServerParameters NONE = new ServerParameters(Map.of(), List.of(), Map.of());

  /** Settings without permanent slots. */
  public ServerParameters(Map<String, String> parameters, List<String> pgHba) {
    this(parameters, pgHba, Map.of());
  }

  /**
   * Parameters the member's adapter sets itself (where it listens, whom it streams from, which
   * standbys are synchronous, recovery and archive commands, the files it writes): the cluster
   * cannot set them, since a wrong value would break replication or fencing on every member at once.
   */
  public static final Set<String> RESERVED = Set.of("listen_addresses", "port", "hot_standby",
      "primary_conninfo", "primary_slot_name", "synchronous_standby_names", "recovery_target_timeline",
      "data_directory", "config_file", "hba_file", "ident_file", "external_pid_file", "restore_command",
      "archive_command", "archive_library", "archive_cleanup_command", "recovery_end_command",
      "recovery_target", "recovery_target_lsn", "recovery_target_name", "recovery_target_time",
      "recovery_target_xid", "recovery_target_action", "recovery_target_inclusive", "promote_trigger_file",
      "unix_socket_directories", "ssl_cert_file", "ssl_key_file", "ssl_ca_file", "include", "include_if_exists",
      "include_dir");

  private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_.]*");
  // Bounds that keep the replicated state (sent with every snapshot) small.
  private static final int MAX_LINE = 1024;
  private static final int MAX_ENTRIES = 500;
  private static final int MAX_SLOTS = 100;

  public ServerParameters {
    Objects.requireNonNull(parameters, "postgresql.parameters");
    Objects.requireNonNull(pgHba, "postgresql.pg_hba");
    Objects.requireNonNull(slots, "slots");
    if (parameters.size() > MAX_ENTRIES || pgHba.size() > MAX_ENTRIES) {
      throw new IllegalArgumentException("postgresql: at most " + MAX_ENTRIES + " parameters and "
          + MAX_ENTRIES + " pg_hba lines");
    }
    if (slots.size() > MAX_SLOTS) {
      throw new IllegalArgumentException("slots: at most " + MAX_SLOTS + " permanent slots");
    }
    // A TreeMap keeps the order stable (every member creates them in the same order); it refuses null keys.
    Map<String, ReplicationSlot> sorted = new TreeMap<>();
    slots.forEach((name, slot) -> {
      ReplicationSlot.check(name, slot);
      sorted.put(name, slot);
    });
    slots = java.util.Collections.unmodifiableMap(sorted);
    parameters = Map.copyOf(parameters);
    for (Map.Entry<String, String> e : parameters.entrySet()) {
      checkParameter(e.getKey(), e.getValue());
    }
    pgHba = List.copyOf(pgHba);
    for (String line : pgHba) {
      checkHbaLine(line);
    }
  }

  public ServerParameters withParameters(Map<String, String> value) {
    return new ServerParameters(value, pgHba, slots);
  }

  public ServerParameters withPgHba(List<String> value) {
    return new ServerParameters(parameters, value, slots);
  }

  public ServerParameters withSlots(Map<String, ReplicationSlot> value) {
    return new ServerParameters(parameters, pgHba, value);
  }

  /** The parameters in a stable order (by name), so every member writes the same file. */
  public Map<String, String> sortedParameters() {
    return new TreeMap<>(parameters);
  }

  private static void checkParameter(String name, String value) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("postgresql.parameters: '" + name
          + "' is not a parameter name (lower case letters, digits, '_' and '.')");
    }
    if (RESERVED.contains(name)) {
      throw new IllegalArgumentException("postgresql.parameters." + name
          + " is set by each member's adapter and cannot be set for the cluster");
    }
    if (value == null) {
      throw new IllegalArgumentException("postgresql.parameters." + name + " has no value");
    }
    if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0 || value.length() > MAX_LINE) {
      throw new IllegalArgumentException("postgresql.parameters." + name + " must be one line of at most "
          + MAX_LINE + " characters");
    }
    // Every member streams from the primary: WAL without replication information would stop that.
    if (name.equals("wal_level") && !(value.equals("replica") || value.equals("logical"))) {
      throw new IllegalArgumentException("postgresql.parameters.wal_level must be replica or logical for streaming"
          + " replication, got " + value);
    }
  }

  private static void checkHbaLine(String line) {
    if (line == null || line.isBlank()) {
      throw new IllegalArgumentException("postgresql.pg_hba: a line is empty");
    }
    if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0 || line.indexOf('\0') >= 0 || line.length() > MAX_LINE) {
      throw new IllegalArgumentException("postgresql.pg_hba: '" + line.strip() + "' must be one line of at most "
          + MAX_LINE + " characters");
    }
    String first = line.strip().split("\\s+", 2)[0];
    if (first.startsWith("include")) {
      throw new IllegalArgumentException("postgresql.pg_hba: '" + line.strip() + "' includes another file;"
          + " give the lines themselves");
    }
  }
}

package io.ratisfailover.postgres;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How {@link PostgresAdapter} runs the local PostgreSQL server. Immutable; build it with
 * {@link #builder()}, which rejects impossible values with a message naming the field.
 *
 * @param dataDirectory where the cluster lives ({@code PGDATA}); an absolute path
 * @param binDirectory where {@code postgres}, {@code initdb}, {@code pg_basebackup}, {@code pg_rewind}
 *     … are; when empty they are looked up through {@code pg_config --bindir} and the usual install paths
 * @param listenHost the address PostgreSQL listens on ({@code listen_addresses})
 * @param advertisedHost the address other members connect to; {@code listenHost} when empty
 * @param port the port PostgreSQL listens on
 * @param osUser the operating-system user PostgreSQL runs as when this process runs as root
 *     (PostgreSQL refuses to run as root); must be empty or this process's own user otherwise
 * @param superuser the database superuser the adapter connects as (created by {@code initdb}; also
 *     used by {@code pg_rewind})
 * @param replication the role standbys stream and clone with (created at bootstrap)
 * @param serverParameters extra {@code postgresql.conf} settings; the adapter's own settings
 *     (listen address, port, replication and recovery settings) cannot be overridden
 * @param clientNetworks networks ({@code CIDR}) whose hosts may connect and replicate, besides loopback
 * @param initdbArguments extra {@code initdb} arguments, such as encoding and locale
 * @param allowDataDirectoryRemoval whether the adapter may ever delete the data directory's
 *     contents (re-clone after a failed rewind, reinitialize); never by default
 * @param rewindPolicy what to do with a data directory whose history diverged from the upstream's
 * @param logFile where the server's own log (stderr) goes; next to the data directory when empty
 * @param connectTimeout bound on opening any connection (local, upstream, replication)
 * @param statusTimeout bound on one status observation; keep it below the agent's status timeout
 * @param startTimeout how long a starting server may take (crash recovery included)
 * @param stopTimeout how long a fast shutdown may take before it escalates to an immediate one
 * @param promoteTimeout how long a promotion may wait for replay and for the server to become writable
 * @param provisionTimeout bound on {@code initdb}, {@code pg_basebackup} and {@code pg_rewind}
 * @param ssl TLS for replication and superuser connections between members; none when empty
 * @param backup the backup tool that archives and restores WAL and may make standbys and clusters
 *     from its backups; none when empty (then {@code archive_command} is the member's own business)
 */
public record PostgresConfig(Path dataDirectory, Optional<Path> binDirectory, String listenHost,
    Optional<String> advertisedHost, int port, Optional<String> osUser, Credentials superuser, Credentials replication,
    Map<String, String> serverParameters, List<String> clientNetworks, List<String> initdbArguments,
    boolean allowDataDirectoryRemoval, RewindPolicy rewindPolicy, Optional<Path> logFile, Duration connectTimeout,
    Duration statusTimeout, Duration startTimeout, Duration stopTimeout, Duration promoteTimeout,
    Duration provisionTimeout, Optional<Ssl> ssl, Optional<BackupConfig> backup) {

  /**
   * TLS between members: the server presents {@code certificate} and requires TLS from the client
   * networks ({@code hostssl}); the adapter, {@code pg_basebackup}, {@code pg_rewind} and the WAL
   * receiver verify the upstream's certificate against {@code ca}. The files must be readable by
   * the server's OS user, the key by it only (PostgreSQL refuses a key others can read).
   *
   * @param verify how much of the upstream's certificate clients check
   */
  public record Ssl(Path certificate, Path key, Path ca, Verify verify) {
    public Ssl {
      for (Path p : new Path[] {certificate, key, ca}) {
        if (p == null || !p.isAbsolute()) {
          throw new IllegalArgumentException("ssl certificate, key and ca must be absolute paths, got " + p);
        }
      }
      Objects.requireNonNull(verify, "verify");
    }
  }

  /** libpq's {@code sslmode} for connections to an upstream. */
  public enum Verify {
    /** The CA signed it and it names the host connected to. */
    VERIFY_FULL("verify-full"),
    /** The CA signed it (for upstreams reached by an address their certificates do not name). */
    VERIFY_CA("verify-ca");

    private final String sslmode;

    Verify(String sslmode) {
      this.sslmode = sslmode;
    }

    public String sslmode() {
      return sslmode;
    }
  }

  /** Settings the adapter owns: a member's configuration must not set them. */
  public static final Set<String> MANAGED_PARAMETERS = Set.of("listen_addresses", "port", "hot_standby",
      "primary_conninfo", "primary_slot_name", "synchronous_standby_names", "recovery_target_timeline",
      "data_directory", "config_file", "hba_file", "ident_file", "external_pid_file", "restore_command",
      "recovery_target", "recovery_target_lsn", "recovery_target_name", "recovery_target_time",
      "recovery_target_xid", "recovery_target_action", "recovery_target_inclusive", "promote_trigger_file");

  /** Settings a configured backup tool owns, on top of {@link #MANAGED_PARAMETERS}. */
  public static final Set<String> BACKUP_PARAMETERS = Set.of("archive_mode", "archive_command", "archive_library",
      "restore_command");

  private static final Pattern PARAMETER_NAME = Pattern.compile("[a-z_][a-z0-9_]*(\\.[a-z_][a-z0-9_]*)?");
  private static final Pattern ROLE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  private static final Pattern CIDR = Pattern.compile("[0-9a-fA-F:.]+/[0-9]{1,3}");
  private static final Set<String> RESERVED_INITDB = Set.of("-D", "--pgdata", "-U", "--username", "--pwfile",
      "-W", "--pwprompt", "-A", "--auth", "--auth-host", "--auth-local", "-X", "--waldir");

  /** What the adapter does when the local history diverged from the upstream's (a former primary). */
  public enum RewindPolicy {
    /** Rewind with {@code pg_rewind}; if that fails, stop and report: a person decides. */
    REWIND,
    /**
     * Rewind with {@code pg_rewind}; if that fails, delete the data directory's contents and clone
     * afresh. Needs {@link PostgresConfig#allowDataDirectoryRemoval()}.
     */
    REWIND_THEN_RECLONE
  }

  /**
   * A database role and its password. The password is never printed: {@link #toString()} hides it.
   */
  public record Credentials(String user, String password) {
    public Credentials {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(password, "password");
    }

    @Override
    public String toString() {
      return user + "/********";
    }
  }

  public PostgresConfig {
    Objects.requireNonNull(dataDirectory, "dataDirectory");
    Objects.requireNonNull(binDirectory, "binDirectory");
    Objects.requireNonNull(advertisedHost, "advertisedHost");
    Objects.requireNonNull(osUser, "osUser");
    Objects.requireNonNull(superuser, "superuser");
    Objects.requireNonNull(replication, "replication");
    Objects.requireNonNull(rewindPolicy, "rewindPolicy");
    Objects.requireNonNull(logFile, "logFile");
    Objects.requireNonNull(ssl, "ssl");
    Objects.requireNonNull(backup, "backup");
    serverParameters = Map.copyOf(serverParameters);
    clientNetworks = List.copyOf(clientNetworks);
    initdbArguments = List.copyOf(initdbArguments);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The first directory the server makes its local socket in, if it makes one. */
  public Optional<String> socketDirectory() {
    String dirs = serverParameters.getOrDefault("unix_socket_directories", "").strip();
    return dirs.isEmpty() ? Optional.empty() : Optional.of(dirs.split(",")[0].strip());
  }

  /** The host other members and clients use to reach this server. */
  public String connectHost() {
    return advertisedHost.orElse(listenHost);
  }

  /** The host the adapter itself connects to: the listen address, or loopback when it listens on all. */
  public String localHost() {
    return listenHost.equals("*") || listenHost.equals("0.0.0.0") || listenHost.equals("::") ? "127.0.0.1" : listenHost;
  }

  /** Where the server's stderr goes. */
  public Path serverLog() {
    return logFile.orElseGet(() -> dataDirectory.resolveSibling(dataDirectory.getFileName() + ".log"));
  }

  public Builder toBuilder() {
    Builder b = new Builder().dataDirectory(dataDirectory).listenHost(listenHost).port(port)
        .superuser(superuser.user(), superuser.password()).replication(replication.user(), replication.password())
        .serverParameters(serverParameters).clientNetworks(clientNetworks).initdbArguments(initdbArguments)
        .allowDataDirectoryRemoval(allowDataDirectoryRemoval).rewindPolicy(rewindPolicy)
        .connectTimeout(connectTimeout).statusTimeout(statusTimeout).startTimeout(startTimeout)
        .stopTimeout(stopTimeout).promoteTimeout(promoteTimeout).provisionTimeout(provisionTimeout);
    binDirectory.ifPresent(b::binDirectory);
    advertisedHost.ifPresent(b::advertisedHost);
    osUser.ifPresent(b::osUser);
    logFile.ifPresent(b::logFile);
    ssl.ifPresent(b::ssl);
    backup.ifPresent(b::backup);
    return b;
  }

  /** Mutable only until {@link #build()}. */
  public static final class Builder {
    private Path dataDirectory;
    private Path binDirectory;
    private String listenHost = "127.0.0.1";
    private String advertisedHost;
    private int port = 5432;
    private String osUser;
    private String superuser = "postgres";
    private String superuserPassword;
    private String replicationUser = "replicator";
    private String replicationPassword;
    private final Map<String, String> serverParameters = new LinkedHashMap<>();
    private final List<String> clientNetworks = new ArrayList<>();
    private final List<String> initdbArguments = new ArrayList<>(List.of("--encoding=UTF8", "--locale=C"));
    private boolean allowDataDirectoryRemoval;
    private RewindPolicy rewindPolicy = RewindPolicy.REWIND;
    private Path logFile;
    private Duration connectTimeout = Duration.ofSeconds(2);
    private Duration statusTimeout = Duration.ofMillis(800);
    private Duration startTimeout = Duration.ofSeconds(60);
    private Duration stopTimeout = Duration.ofSeconds(10);
    private Duration promoteTimeout = Duration.ofSeconds(30);
    private Duration provisionTimeout = Duration.ofHours(6);
    private Ssl ssl;
    private BackupConfig backup;

    private Builder() {}

    public Builder dataDirectory(Path value) { this.dataDirectory = value; return this; }
    public Builder binDirectory(Path value) { this.binDirectory = value; return this; }
    public Builder listenHost(String value) { this.listenHost = value; return this; }
    public Builder advertisedHost(String value) { this.advertisedHost = value; return this; }
    public Builder port(int value) { this.port = value; return this; }
    public Builder osUser(String value) { this.osUser = value; return this; }
    public Builder superuser(String user, String password) { this.superuser = user; this.superuserPassword = password; return this; }
    public Builder replication(String user, String password) { this.replicationUser = user; this.replicationPassword = password; return this; }
    public Builder serverParameter(String name, String value) { serverParameters.put(name, value); return this; }
    public Builder serverParameters(Map<String, String> values) { serverParameters.clear(); serverParameters.putAll(values); return this; }
    public Builder clientNetwork(String cidr) { clientNetworks.add(cidr); return this; }
    public Builder clientNetworks(List<String> cidrs) { clientNetworks.clear(); clientNetworks.addAll(cidrs); return this; }
    public Builder initdbArguments(List<String> args) { initdbArguments.clear(); initdbArguments.addAll(args); return this; }
    public Builder allowDataDirectoryRemoval(boolean value) { this.allowDataDirectoryRemoval = value; return this; }
    public Builder rewindPolicy(RewindPolicy value) { this.rewindPolicy = value; return this; }
    public Builder logFile(Path value) { this.logFile = value; return this; }
    public Builder connectTimeout(Duration value) { this.connectTimeout = value; return this; }
    public Builder statusTimeout(Duration value) { this.statusTimeout = value; return this; }
    public Builder startTimeout(Duration value) { this.startTimeout = value; return this; }
    public Builder stopTimeout(Duration value) { this.stopTimeout = value; return this; }
    public Builder promoteTimeout(Duration value) { this.promoteTimeout = value; return this; }
    public Builder provisionTimeout(Duration value) { this.provisionTimeout = value; return this; }
    public Builder ssl(Ssl value) { this.ssl = value; return this; }
    public Builder backup(BackupConfig value) { this.backup = value; return this; }

    /** @throws IllegalArgumentException naming the first field that is missing or impossible */
    public PostgresConfig build() {
      if (dataDirectory == null) {
        throw new IllegalArgumentException("dataDirectory is required");
      }
      if (!dataDirectory.isAbsolute()) {
        throw new IllegalArgumentException("dataDirectory must be an absolute path, got " + dataDirectory);
      }
      if (dataDirectory.getParent() == null) {
        throw new IllegalArgumentException("dataDirectory must not be the file-system root");
      }
      if (binDirectory != null && !binDirectory.isAbsolute()) {
        throw new IllegalArgumentException("binDirectory must be an absolute path, got " + binDirectory);
      }
      if (logFile != null && !logFile.isAbsolute()) {
        throw new IllegalArgumentException("logFile must be an absolute path, got " + logFile);
      }
      requireHost("listenHost", listenHost);
      if (advertisedHost != null) {
        requireHost("advertisedHost", advertisedHost);
      } else if (listenHost.equals("*") || listenHost.equals("0.0.0.0") || listenHost.equals("::")) {
        throw new IllegalArgumentException("advertisedHost is required when listenHost is " + listenHost
            + ": other members need an address they can reach");
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("port must be between 1 and 65535, got " + port);
      }
      if (osUser != null && (osUser.isBlank() || osUser.equals("root"))) {
        throw new IllegalArgumentException("osUser must name a non-root user, got '" + osUser + "'");
      }
      requireRole("superuser", superuser, superuserPassword);
      requireRole("replication", replicationUser, replicationPassword);
      if (superuser.equals(replicationUser)) {
        throw new IllegalArgumentException("replication user must differ from the superuser '" + superuser + "'");
      }
      for (Map.Entry<String, String> e : serverParameters.entrySet()) {
        String name = e.getKey() == null ? "" : e.getKey().toLowerCase(Locale.ROOT);
        if (!PARAMETER_NAME.matcher(name).matches()) {
          throw new IllegalArgumentException("serverParameters: '" + e.getKey() + "' is not a parameter name");
        }
        if (backup != null && BACKUP_PARAMETERS.contains(name)) {
          throw new IllegalArgumentException("serverParameters: " + name + " is set by the adapter for the backup tool "
              + backup.tool().command() + " (stanza " + backup.stanza() + "); remove it from the parameters");
        }
        if (name.equals("restore_command")) {
          throw new IllegalArgumentException("serverParameters: restore_command is set by the adapter only when a"
              + " backup tool is configured (backup); configure one instead");
        }
        if (MANAGED_PARAMETERS.contains(name)) {
          throw new IllegalArgumentException("serverParameters: " + name
              + " is set by the adapter and cannot be overridden");
        }
        if (e.getValue() == null || e.getValue().indexOf('\n') >= 0 || e.getValue().indexOf('\r') >= 0) {
          throw new IllegalArgumentException("serverParameters: value of " + name + " must be one line of text");
        }
        if (name.equals("wal_level") && !(e.getValue().equals("replica") || e.getValue().equals("logical"))) {
          throw new IllegalArgumentException("serverParameters: wal_level must be replica or logical for"
              + " streaming replication, got " + e.getValue());
        }
      }
      for (String cidr : clientNetworks) {
        if (cidr == null || !CIDR.matcher(cidr).matches()) {
          throw new IllegalArgumentException("clientNetworks: '" + cidr + "' is not an address/prefix such as 10.0.0.0/24");
        }
      }
      for (String arg : initdbArguments) {
        String flag = arg == null ? "" : arg.split("=", 2)[0];
        if (RESERVED_INITDB.contains(flag)) {
          throw new IllegalArgumentException("initdbArguments: " + flag + " is set by the adapter");
        }
      }
      if (backup != null) {
        String sockets = serverParameters.entrySet().stream()
            .filter(e -> e.getKey().equalsIgnoreCase("unix_socket_directories")).map(Map.Entry::getValue)
            .findFirst().orElse("").strip();
        if (sockets.isEmpty()) {
          throw new IllegalArgumentException("backup: " + backup.tool().command() + " connects to the server over a"
              + " local socket; set serverParameters unix_socket_directories (such as /var/run/postgresql)");
        }
      }
      if (rewindPolicy == null) {
        throw new IllegalArgumentException("rewindPolicy is required");
      }
      if (rewindPolicy == RewindPolicy.REWIND_THEN_RECLONE && !allowDataDirectoryRemoval) {
        throw new IllegalArgumentException("rewindPolicy REWIND_THEN_RECLONE needs allowDataDirectoryRemoval = true:"
            + " re-cloning deletes the data directory's contents");
      }
      requireAtLeast("connectTimeout", connectTimeout, Duration.ofMillis(100));
      requireAtLeast("statusTimeout", statusTimeout, Duration.ofMillis(100));
      requireAtLeast("startTimeout", startTimeout, Duration.ofSeconds(1));
      requireAtLeast("stopTimeout", stopTimeout, Duration.ofMillis(100));
      requireAtLeast("promoteTimeout", promoteTimeout, Duration.ofSeconds(1));
      requireAtLeast("provisionTimeout", provisionTimeout, Duration.ofSeconds(1));
      Map<String, String> params = new LinkedHashMap<>();
      serverParameters.forEach((k, v) -> params.put(k.toLowerCase(Locale.ROOT), v));
      return new PostgresConfig(dataDirectory.normalize(), Optional.ofNullable(binDirectory), listenHost,
          Optional.ofNullable(advertisedHost), port, Optional.ofNullable(osUser),
          new Credentials(superuser, superuserPassword), new Credentials(replicationUser, replicationPassword),
          params, clientNetworks, initdbArguments, allowDataDirectoryRemoval, rewindPolicy, Optional.ofNullable(logFile),
          connectTimeout, statusTimeout, startTimeout, stopTimeout, promoteTimeout, provisionTimeout,
          Optional.ofNullable(ssl), Optional.ofNullable(backup));
    }

    private static void requireHost(String field, String host) {
      if (host == null || host.isBlank() || host.chars().anyMatch(c -> Character.isWhitespace(c) || c == '\'' || c == ',')) {
        throw new IllegalArgumentException(field + " must be one host name or address, got '" + host + "'");
      }
    }

    private static void requireRole(String field, String user, String password) {
      if (user == null || !ROLE_NAME.matcher(user).matches()) {
        throw new IllegalArgumentException(field + " user must be 1 to 63 lowercase letters, digits or '_',"
            + " starting with a letter or '_', got '" + user + "'");
      }
      if (password == null || password.isEmpty()) {
        throw new IllegalArgumentException(field + " password is required");
      }
      if (password.indexOf('\n') >= 0 || password.indexOf('\r') >= 0 || password.indexOf('\0') >= 0) {
        throw new IllegalArgumentException(field + " password must not contain line breaks or NUL");
      }
    }

    private static void requireAtLeast(String field, Duration value, Duration min) {
      if (value == null || value.compareTo(min) < 0) {
        throw new IllegalArgumentException(field + " must be at least " + min.toMillis() + " ms, got "
            + (value == null ? "nothing" : value.toMillis() + " ms"));
      }
    }
  }
}

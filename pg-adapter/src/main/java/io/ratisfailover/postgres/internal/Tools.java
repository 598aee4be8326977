package io.ratisfailover.postgres.internal;

import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.postgres.PostgresConfig;
import io.ratisfailover.spi.DatabaseException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PostgreSQL programs the adapter runs to completion, each with a deadline, and what their
 * failures mean: a password refused, an upstream out of reach, a full disk, a data directory that
 * is not what was expected. Passwords travel in {@code PGPASSWORD}, never on a command line.
 */
public final class Tools {
  private static final Duration QUICK = Duration.ofSeconds(30);
  private static final Pattern RECORD_END = Pattern.compile("invalid record length at ([0-9A-Fa-f]+/[0-9A-Fa-f]+)");

  private final Binaries bin;
  private final ToolRunner runner;
  private final OsAccount account;
  private final PostgresConfig config;
  private final MemberId self;

  public Tools(Binaries bin, OsAccount account, PostgresConfig config, MemberId self) {
    this.bin = bin;
    this.account = account;
    this.runner = new ToolRunner(account);
    this.config = config;
    this.self = self;
  }

  public Binaries binaries() {
    return bin;
  }

  public OsAccount account() {
    return account;
  }

  /** Runs programs as the server's OS user, for the backup tool. */
  public ToolRunner runner() {
    return runner;
  }

  /** What the control file says; the server must not be writing it (it may run: the file is read atomically). */
  public ControlData controlData(Path dataDirectory) throws DatabaseException {
    ToolRunner.Result r = run(List.of(bin.path("pg_controldata"), "-D", dataDirectory.toString()), Map.of(), QUICK);
    if (!r.ok()) {
      throw new DatabaseException(DatabaseException.Kind.FATAL, "pg_controldata cannot read " + dataDirectory + ": "
          + r.message());
    }
    try {
      return ControlData.parse(r.stdout());
    } catch (IllegalArgumentException e) {
      throw new DatabaseException(DatabaseException.Kind.FATAL, "cannot understand pg_controldata's output for "
          + dataDirectory + ": " + e.getMessage(), e);
    }
  }

  /**
   * Where the WAL record at {@code checkpoint} ends: {@code pg_waldump} reads it and fails on the
   * (absent) next one, naming its position. Empty when that cannot be told.
   */
  public Optional<Lsn> recordEnd(Path dataDirectory, long timeline, Lsn checkpoint) throws DatabaseException {
    ToolRunner.Result r = run(List.of(bin.path("pg_waldump"), "-p", dataDirectory.resolve("pg_wal").toString(),
        "-t", Long.toString(timeline), "-s", checkpoint.toString(), "-n", "2"), Map.of(), QUICK);
    Matcher m = RECORD_END.matcher(r.stderr());
    if (r.stdout().strip().split("\n").length == 1 && m.find()) {
      return Optional.of(Lsn.parse(m.group(1)));
    }
    return Optional.empty();
  }

  /** Creates a new cluster with data checksums, the superuser and password authentication. */
  public void initdb(Path dataDirectory) throws DatabaseException {
    Path pwfile = null;
    try {
      pwfile = Files.createTempFile("ratis-failover-initdb", ".pw",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(pwfile, config.superuser().password() + "\n");
      account.own(pwfile);
      List<String> cmd = new ArrayList<>(List.of(bin.path("initdb"), "-D", dataDirectory.toString(),
          "--username=" + config.superuser().user(), "--pwfile=" + pwfile, "--auth-local=peer",
          "--auth-host=scram-sha-256", "--data-checksums"));
      cmd.addAll(config.initdbArguments());
      ToolRunner.Result r = run(cmd, Map.of(), config.provisionTimeout());
      if (!r.ok()) {
        throw failure("initdb could not create a cluster in " + dataDirectory, r, Optional.empty());
      }
    } catch (IOException e) {
      throw new DatabaseException(DatabaseException.Kind.MISCONFIGURED, "cannot write initdb's password file: "
          + e.getMessage(), e);
    } finally {
      if (pwfile != null) {
        try {
          Files.deleteIfExists(pwfile);
        } catch (IOException e) {
          // a temporary file in /tmp, readable only by its owner
        }
      }
    }
  }

  /** Clones {@code upstream} into the empty {@code dataDirectory}, streaming WAL through {@code slot}. */
  public void baseBackup(Path dataDirectory, UpstreamServer upstream, String slot) throws DatabaseException {
    Conninfo source = new Conninfo().set("host", upstream.host()).set("port", Integer.toString(upstream.port()))
        .set("user", config.replication().user()).set("application_name", "pg_basebackup")
        .set("connect_timeout", Long.toString(Jdbc.seconds(config.connectTimeout())));
    ServerConfiguration.withSsl(source, config);
    List<String> cmd = List.of(bin.path("pg_basebackup"), "--pgdata=" + dataDirectory, "--wal-method=stream",
        "--checkpoint=fast", "--slot=" + slot, "--no-password", "--dbname=" + source);
    ToolRunner.Result r = run(cmd, Map.of("PGPASSWORD", config.replication().password()), config.provisionTimeout());
    if (!r.ok()) {
      throw failure("pg_basebackup could not clone " + upstream.describe() + " into " + dataDirectory, r,
          Optional.of(upstream));
    }
  }

  /**
   * Finishes the crash recovery of a primary that stopped without a clean shutdown, in single-user
   * mode (no connections, no new timeline), leaving it shut down cleanly with a checkpoint on its
   * own timeline. Started directly as a standby instead, it would recover in standby mode and keep
   * an older checkpoint's timeline in its control file, from which {@code pg_rewind} later
   * computes a wrong point of divergence.
   */
  public void finishCrashRecovery(Path dataDirectory) throws DatabaseException {
    ToolRunner.Result r = run(List.of(bin.path("postgres"), "--single", "-D", dataDirectory.toString(), "template1"),
        Map.of(), config.provisionTimeout());
    if (!r.ok()) {
      throw failure("crash recovery of " + dataDirectory + " in single-user mode failed", r, Optional.empty());
    }
  }

  /** Whether pg_rewind rewrote anything. */
  public enum Rewind { REWOUND, NOT_NEEDED }

  /**
   * Rewinds the stopped {@code dataDirectory} to the point where its history left the upstream's.
   * PostgreSQL 13+ finishes crash recovery of an uncleanly stopped target itself first.
   */
  public Rewind rewind(Path dataDirectory, UpstreamServer upstream) throws DatabaseException {
    Conninfo source = new Conninfo().set("host", upstream.host()).set("port", Integer.toString(upstream.port()))
        .set("user", config.superuser().user()).set("dbname", "postgres")
        .set("application_name", "pg_rewind " + self)
        .set("connect_timeout", Long.toString(Jdbc.seconds(config.connectTimeout())));
    ServerConfiguration.withSsl(source, config);
    List<String> cmd = List.of(bin.path("pg_rewind"), "--target-pgdata=" + dataDirectory,
        "--source-server=" + source);
    ToolRunner.Result r = run(cmd, Map.of("PGPASSWORD", config.superuser().password()), config.provisionTimeout());
    if (!r.ok()) {
      throw failure("pg_rewind could not rewind " + dataDirectory + " to " + upstream.describe(), r, Optional.of(upstream));
    }
    String out = (r.stdout() + r.stderr()).toLowerCase(Locale.ROOT);
    return out.contains("no rewind required") ? Rewind.NOT_NEEDED : Rewind.REWOUND;
  }

  private ToolRunner.Result run(List<String> cmd, Map<String, String> env, Duration timeout) throws DatabaseException {
    try {
      return runner.run(cmd, env, timeout);
    } catch (IOException e) {
      throw new DatabaseException(DatabaseException.Kind.MISCONFIGURED, "cannot run " + cmd.get(0) + ": "
          + e.getMessage(), e);
    }
  }

  /** A failed tool run as a {@link DatabaseException} of the kind its message shows. */
  static DatabaseException failure(String what, ToolRunner.Result r, Optional<UpstreamServer> upstream) {
    String msg = r.message();
    String lower = msg.toLowerCase(Locale.ROOT);
    String source = upstream.map(u -> "upstream " + u.describe()).orElse("the server");
    if (r.timedOut()) {
      return new DatabaseException(DatabaseException.Kind.TRANSIENT, what + ": " + r.program() + " did not finish in"
          + " time and was stopped");
    }
    if (lower.contains("no space left on device") || lower.contains("disk quota exceeded")) {
      return new DatabaseException(DatabaseException.Kind.FATAL, what + ": the disk is full (" + msg
          + "); free space or move the data directory to a larger file system");
    }
    if (lower.contains("password authentication failed") || lower.contains("no pg_hba.conf entry")
        || lower.contains("authentication failed") || lower.contains("no password supplied")) {
      return new DatabaseException(DatabaseException.Kind.AUTHENTICATION, what + ": " + source
          + " refused the credentials (" + msg + "); check the user's password in every member's configuration");
    }
    if (lower.contains("could not connect") || lower.contains("connection refused") || lower.contains("timeout expired")
        || lower.contains("could not translate host name") || lower.contains("no route to host")
        || lower.contains("server closed the connection") || lower.contains("the database system is starting up")
        || lower.contains("the database system is shutting down")) {
      return new DatabaseException(DatabaseException.Kind.TRANSIENT, what + ": cannot reach " + source + " (" + msg + ")");
    }
    if (lower.contains("replication slot") && lower.contains("does not exist")) {
      return new DatabaseException(DatabaseException.Kind.TRANSIENT, what + ": " + msg);
    }
    if (lower.contains("exists but is not empty") || lower.contains("not a database cluster directory")) {
      return new DatabaseException(DatabaseException.Kind.DATA_MISMATCH, what + ": " + msg);
    }
    if (lower.contains("permission denied")) {
      return new DatabaseException(DatabaseException.Kind.MISCONFIGURED, what + ": " + msg
          + "; the data directory and its parent must be writable by the server's OS user");
    }
    return new DatabaseException(DatabaseException.Kind.FATAL, what + ": " + msg);
  }
}

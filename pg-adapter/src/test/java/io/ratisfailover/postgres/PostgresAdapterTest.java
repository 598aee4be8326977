package io.ratisfailover.postgres;

import static io.ratisfailover.postgres.testing.PgSandbox.members;
import static io.ratisfailover.postgres.testing.PgSandbox.topology;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.Epoch;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.postgres.testing.Db;
import io.ratisfailover.postgres.testing.LogCapture;
import io.ratisfailover.postgres.testing.PgSandbox;
import io.ratisfailover.spi.DatabaseEvents;
import io.ratisfailover.spi.DatabaseException;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.FenceMode;
import io.ratisfailover.spi.PrimaryTopology;
import io.ratisfailover.spi.Promotion;
import io.ratisfailover.spi.ReplicaInfo;
import io.ratisfailover.spi.Upstream;
import io.ratisfailover.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The adapter against real PostgreSQL servers: one primary and one standby per test, copied from a template. */
class PostgresAdapterTest {
  @RegisterExtension
  static final PgSandbox pg = new PgSandbox();

  private static final Duration WAIT = Duration.ofSeconds(30);

  /** A running primary pg1 (from the template) and, when asked, a streaming standby pg2. */
  private final class Pair {
    final PostgresConfig c1;
    final PostgresConfig c2;
    final PostgresAdapter a1;
    final PostgresAdapter a2;

    Pair(boolean withStandby) throws Exception {
      c1 = pg.config(pg.copyOfTemplate("pg1")).build();
      c2 = pg.config(pg.dataDirectory("pg2")).build();
      a1 = pg.adapter("pg1", c1);
      a2 = pg.adapter("pg2", c2);
      a1.startPrimary(topology(1, "pg2"));
      if (withStandby) {
        a2.startReplica(Optional.of(upstream("pg1", a1)));
        awaitStreaming(a1, "pg2");
      }
    }
  }

  private static Upstream upstream(String member, PostgresAdapter adapter) {
    return new Upstream(MemberId.of(member), adapter.attributes());
  }

  private static void awaitStreaming(PostgresAdapter primary, String standby) {
    Await.until(standby + " streaming from the primary", WAIT, () -> replica(primary, standby)
        .map(ReplicaInfo::streaming).orElse(false), () -> String.valueOf(statusOrError(primary)));
  }

  private static Optional<ReplicaInfo> replica(PostgresAdapter primary, String standby) {
    try {
      return primary.status().replicas().stream().filter(r -> r.member().value().equals(standby)).findFirst();
    } catch (DatabaseException e) {
      return Optional.empty();
    }
  }

  private static Object statusOrError(PostgresAdapter a) {
    try {
      return a.status();
    } catch (DatabaseException e) {
      return e;
    }
  }

  private static DatabaseStatus awaitState(PostgresAdapter a, DatabaseState state) {
    DatabaseStatus[] last = new DatabaseStatus[1];
    Await.until(a.member() + " " + state, WAIT, () -> {
      try {
        last[0] = a.status();
        return last[0].state() == state;
      } catch (DatabaseException e) {
        return false;
      }
    }, () -> String.valueOf(statusOrError(a)));
    return last[0];
  }

  @Test
  void bootstrapCreatesAWritablePrimaryWithChecksumsAReplicationRoleAndSlots() throws Exception {
    PostgresConfig c = pg.config(pg.dataDirectory("boot")).build();
    PostgresAdapter a = pg.adapter("pg1", c);
    assertThat(a.status().state()).isEqualTo(DatabaseState.ABSENT);

    a.bootstrap(new PrimaryTopology(Epoch.of(1), members("pg2", "pg-3"), Set.of(), false));

    DatabaseStatus s = a.status();
    assertThat(s.state()).isEqualTo(DatabaseState.RUNNING_PRIMARY);
    assertThat(s.timeline()).isEqualTo(1);
    assertThat(s.writeLsn()).isGreaterThan(Lsn.ZERO);
    assertThat(s.systemIdentifier()).isPresent();
    assertThat(Db.value(c, "SHOW data_checksums")).isEqualTo("on");
    assertThat(Db.value(c, "SELECT rolreplication FROM pg_roles WHERE rolname = 'replicator'")).isEqualTo("t");
    assertThat(Db.column(c, "SELECT slot_name FROM pg_replication_slots ORDER BY 1")).containsExactly("rf_pg2", "rf_pg_d3");
    assertThat(Db.value(c, "SHOW synchronous_standby_names")).isEmpty();
    assertThat(a.attributes()).containsEntry("host", "127.0.0.1").containsEntry("port", Integer.toString(c.port()));

    // Idempotent: the goal is reached, a second call changes nothing.
    a.bootstrap(new PrimaryTopology(Epoch.of(1), members("pg2", "pg-3"), Set.of(), false));
    assertThat(a.status().systemIdentifier()).isEqualTo(s.systemIdentifier());
  }

  @Test
  void theServerKeepsNoneOfTheAgentsEnvironmentAndNoPasswordInItsLogOrStatistics() throws Exception {
    Pair p = new Pair(true);
    // What a backend, and so any program a database superuser runs, sees of its environment.
    Db.execute(p.c1, "CREATE TABLE environment (line text); COPY environment FROM PROGRAM 'env'");
    Set<String> seen = new java.util.TreeSet<>();
    for (String line : Db.column(p.c1, "SELECT line FROM environment")) {
      seen.add(line.substring(0, Math.max(0, line.indexOf('='))));
    }
    Set<String> inherited = new java.util.TreeSet<>(System.getenv().keySet());
    inherited.removeIf(k -> k.equals("PATH") || k.equals("TZ") || k.equals("LANG") || k.startsWith("LC_")
        || k.equals("PWD") || k.equals("SHLVL") || k.equals("_"));
    assertThat(inherited).as("the test JVM's environment").isNotEmpty();
    assertThat(seen).as("the server's environment").doesNotContainAnyElementsOf(inherited);

    for (PostgresConfig c : new PostgresConfig[] {p.c1, p.c2}) {
      assertThat(Files.getPosixFilePermissions(c.serverLog()))
          .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
      assertThat(Files.readString(c.serverLog())).doesNotContain(c.replication().password())
          .doesNotContain(c.superuser().password());
    }
    String password = p.c2.replication().password();
    assertThat(Db.value(p.c2, "SELECT conninfo FROM pg_stat_wal_receiver")).contains("user=")
        .doesNotContain(password);
    assertThat(Db.column(p.c1, "SELECT coalesce(query, '') FROM pg_stat_activity")).noneMatch(q -> q.contains(password));
  }

  /** A throw-away CA and a server certificate for 127.0.0.1, owned by the server's OS user. */
  private static PostgresConfig.Ssl throwAwayCertificates(Path dir) throws Exception {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("server.ext"), "subjectAltName=IP:127.0.0.1\n");
    String curve = "ec_paramgen_curve:prime256v1";
    String d = dir + "/";
    for (java.util.List<String> cmd : java.util.List.of(
        java.util.List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", curve, "-nodes", "-keyout", d + "ca.key",
            "-out", d + "ca.pem", "-days", "2", "-subj", "/CN=pg-test-ca"),
        java.util.List.of("openssl", "req", "-newkey", "ec", "-pkeyopt", curve, "-nodes", "-keyout", d + "server.key",
            "-out", d + "server.csr", "-subj", "/CN=127.0.0.1"),
        java.util.List.of("openssl", "x509", "-req", "-in", d + "server.csr", "-CA", d + "ca.pem", "-CAkey", d + "ca.key",
            "-CAcreateserial", "-out", d + "server.pem", "-days", "2", "-extfile", d + "server.ext"))) {
      org.junit.jupiter.api.Assumptions.assumeTrue(PgSandbox.run(cmd) == 0, "openssl is needed: " + cmd);
    }
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(dir.resolve("server.key"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    if (PgSandbox.osUser().isPresent()) {
      assertThat(PgSandbox.run(java.util.List.of("chown", "-R", PgSandbox.osUser().get() + ":", dir.toString()))).isZero();
    }
    return new PostgresConfig.Ssl(dir.resolve("server.pem"), dir.resolve("server.key"), dir.resolve("ca.pem"),
        PostgresConfig.Verify.VERIFY_FULL);
  }

  @Test
  void withTlsConfiguredStandbysCloneAndStreamOverVerifiedTls() throws Exception {
    PostgresConfig.Ssl ssl = throwAwayCertificates(pg.dataDirectory("certificates"));
    PostgresConfig c1 = pg.config(pg.copyOfTemplate("pg1")).ssl(ssl).clientNetwork("10.99.0.0/16").build();
    PostgresConfig c2 = pg.config(pg.dataDirectory("pg2")).ssl(ssl).clientNetwork("10.99.0.0/16").build();
    PostgresAdapter a1 = pg.adapter("pg1", c1);
    PostgresAdapter a2 = pg.adapter("pg2", c2);
    a1.startPrimary(topology(1, "pg2"));
    a2.startReplica(Optional.of(upstream("pg1", a1)));
    awaitStreaming(a1, "pg2");

    assertThat(Db.value(c1, "SHOW ssl")).isEqualTo("on");
    assertThat(Db.value(c1, "SELECT bool_and(s.ssl) FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)"))
        .isEqualTo("t");
    assertThat(Db.value(c2, "SELECT conninfo FROM pg_stat_wal_receiver")).contains("sslmode=verify-full");
    assertThat(Files.readString(c1.dataDirectory().resolve("pg_hba.conf")))
        .containsPattern("hostssl +replication +replicator +10\\.99\\.0\\.0/16")
        .containsPattern("host +replication +replicator +127\\.0\\.0\\.1/32");
  }

  @Test
  void strictBootstrapBlocksWritesButFinishesItsOwnSetup() throws Exception {
    PostgresConfig c = pg.config(pg.dataDirectory("strict")).build();
    PostgresAdapter a = pg.adapter("pg1", c);
    a.bootstrap(new PrimaryTopology(Epoch.of(1), members("pg2"), Set.of(), true));
    assertThat(Db.value(c, "SHOW synchronous_standby_names")).isEqualTo("*");
    assertThat(a.status().synchronousStandbys()).isEmpty();
  }

  @Test
  void aClonedStandbyStreamsFromItsUpstreamThroughItsOwnSlot() throws Exception {
    Pair p = new Pair(true);
    DatabaseStatus s2 = awaitState(p.a2, DatabaseState.RUNNING_REPLICA);
    assertThat(s2.upstream()).contains(MemberId.of("pg1"));
    assertThat(s2.timeline()).isEqualTo(1);
    assertThat(s2.systemIdentifier()).isEqualTo(p.a1.status().systemIdentifier());
    assertThat(Db.value(p.c1, "SELECT active FROM pg_replication_slots WHERE slot_name = 'rf_pg2'")).isEqualTo("t");
    Db.execute(p.c1, "CREATE TABLE t (id int)");
    Db.execute(p.c1, "INSERT INTO t VALUES (42)");
    Await.until("the row on the standby", WAIT, () -> "42".equals(Db.valueOrNull(p.c2, "SELECT max(id) FROM t")));
    assertThat(Db.value(p.c2, "SELECT pg_is_in_recovery()")).isEqualTo("t");

    // The same call again is a no-op: no restart.
    long pid = PgSandbox.postmasterPid(p.c2.dataDirectory()).orElseThrow();
    p.a2.startReplica(Optional.of(upstream("pg1", p.a1)));
    assertThat(PgSandbox.postmasterPid(p.c2.dataDirectory())).contains(pid);
  }

  @Test
  void aStandbySurvivesAnAdapterRestartAndStillKnowsItsUpstream() throws Exception {
    Pair p = new Pair(true);
    p.a2.close();
    PostgresAdapter again = pg.adapter("pg2", p.c2);
    DatabaseStatus s = awaitState(again, DatabaseState.RUNNING_REPLICA);
    assertThat(s.upstream()).contains(MemberId.of("pg1"));
  }

  @Test
  void synchronousStandbyNamesFollowTheTopology() throws Exception {
    Pair p = new Pair(true);
    p.a1.configurePrimary(new PrimaryTopology(Epoch.of(1), members("pg2"), members("pg2"), false));
    assertThat(Db.value(p.c1, "SHOW synchronous_standby_names")).isEqualTo("FIRST 1 (\"pg2\")");
    assertThat(p.a1.status().synchronousStandbys()).containsExactly(MemberId.of("pg2"));
    Await.until("pg2 synchronous", WAIT, () -> replica(p.a1, "pg2").map(r -> r.syncState() == ReplicaInfo.SyncState.SYNC)
        .orElse(false));

    p.a1.configurePrimary(new PrimaryTopology(Epoch.of(1), members("pg2"), Set.of(), true));
    assertThat(Db.value(p.c1, "SHOW synchronous_standby_names")).isEqualTo("*");

    p.a1.configurePrimary(topology(1, "pg2"));
    assertThat(Db.value(p.c1, "SHOW synchronous_standby_names")).isEmpty();
    assertThat(p.a1.status().synchronousStandbys()).isEmpty();
  }

  /**
   * Quorum commit: {@code ANY n} of the named standbys. With two standbys, one of them stopped and
   * n = 2, a commit waits (in SyncRep); lowered to n = 1 the same commit returns, confirmed by the
   * standby that runs, and the next commit returns at once.
   */
  @Test
  void quorumCommitWaitsForAnyNOfTheNamedStandbys() throws Exception {
    Pair p = new Pair(true);
    PostgresConfig c3 = pg.config(pg.dataDirectory("pg3")).build();
    PostgresAdapter a3 = pg.adapter("pg3", c3);
    p.a1.configurePrimary(new PrimaryTopology(Epoch.of(1), members("pg2", "pg3"), Set.of(), false));
    a3.startReplica(Optional.of(upstream("pg1", p.a1)));
    awaitStreaming(p.a1, "pg3");
    p.a1.configurePrimary(new PrimaryTopology(Epoch.of(1), members("pg2", "pg3"), members("pg2", "pg3"), false, 2));
    assertThat(Db.value(p.c1, "SHOW synchronous_standby_names")).isEqualTo("ANY 2 (\"pg2\",\"pg3\")");
    assertThat(p.a1.status().synchronousStandbys()).containsExactlyInAnyOrder(MemberId.of("pg2"), MemberId.of("pg3"));
    Await.until("both standbys counted in the quorum", WAIT, () -> Stream.of("pg2", "pg3")
        .allMatch(m -> replica(p.a1, m).map(r -> r.syncState() == ReplicaInfo.SyncState.QUORUM).orElse(false)));
    Db.execute(p.c1, "CREATE TABLE q (id int)");

    a3.fence(FenceMode.IMMEDIATE);
    ExecutorService client = Executors.newSingleThreadExecutor();
    try {
      Future<Void> commit = client.submit(() -> {
        Db.execute(p.c1, "INSERT INTO q VALUES (1)");
        return null;
      });
      Await.until("the commit waiting for a second confirmation", WAIT, () -> "1".equals(
          Db.valueOrNull(p.c1, "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")));
      assertThat(commit).as("a commit with one of two standbys down and ANY 2").isNotDone();

      p.a1.configurePrimary(new PrimaryTopology(Epoch.of(1), members("pg2", "pg3"), members("pg2", "pg3"), false, 1));
      assertThat(Db.value(p.c1, "SHOW synchronous_standby_names")).isEqualTo("ANY 1 (\"pg2\",\"pg3\")");
      commit.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      try (java.sql.Connection c = Db.connect(p.c1); java.sql.Statement st = c.createStatement()) {
        st.setQueryTimeout(5);
        st.execute("INSERT INTO q VALUES (2)");
      }
      Await.until("both rows on the running standby", WAIT, () -> "2".equals(Db.valueOrNull(p.c2, "SELECT count(*) FROM q")));
    } finally {
      client.shutdownNow();
    }
  }

  @Test
  void promotionSetsTheNewTopologyBeforeTheFirstWrite() throws Exception {
    Pair p = new Pair(true);
    // The standby inherited a setting naming itself (an ALTER SYSTEM on the old primary, copied by
    // the clone): a promotion that kept it would hang every commit.
    Files.writeString(p.c2.dataDirectory().resolve("postgresql.auto.conf"),
        "synchronous_standby_names = 'FIRST 1 (\"pg2\")'\n");
    p.a2.reload();
    Await.until("the standby took the inherited setting", WAIT,
        () -> "FIRST 1 (\"pg2\")".equals(Db.valueOrNull(p.c2, "SHOW synchronous_standby_names")));
    p.a1.fence(FenceMode.FAST);
    DatabaseStatus stopped = p.a1.status();
    assertThat(stopped.state()).isEqualTo(DatabaseState.STOPPED);

    // A client already connected to the standby sees the first moment it is writable.
    java.util.concurrent.CompletableFuture<String> settingWhenWritable = new java.util.concurrent.CompletableFuture<>();
    Thread watcher = new Thread(() -> {
      try (java.sql.Connection c = Db.connect(p.c2); java.sql.Statement st = c.createStatement()) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
          try (java.sql.ResultSet r = st.executeQuery(
              "SELECT pg_is_in_recovery(), current_setting('synchronous_standby_names')")) {
            r.next();
            if (!r.getBoolean(1)) {
              settingWhenWritable.complete(r.getString(2));
              return;
            }
          }
        }
        settingWhenWritable.completeExceptionally(new AssertionError("never saw the promotion"));
      } catch (java.sql.SQLException e) {
        settingWhenWritable.completeExceptionally(e);
      }
    }, "promotion-watcher");
    watcher.start();

    p.a2.promote(new Promotion(topology(2, "pg1"), Optional.of(stopped.writeLsn())));

    assertThat(settingWhenWritable.get(30, java.util.concurrent.TimeUnit.SECONDS)).as("synchronous_standby_names"
        + " at the first moment the new primary was writable").isEmpty();
    DatabaseStatus s = p.a2.status();
    assertThat(s.state()).isEqualTo(DatabaseState.RUNNING_PRIMARY);
    assertThat(s.timeline()).isEqualTo(2);
    assertThat(s.synchronousStandbys()).isEmpty();
    assertThat(Db.value(p.c2, "SHOW synchronous_standby_names")).isEmpty();
    try (java.sql.Connection c = Db.connect(p.c2); java.sql.Statement st = c.createStatement()) {
      st.setQueryTimeout(5);
      st.execute("CREATE TABLE after_promotion (id int)");
      assertThat((Object) st.getWarnings()).as("the first commit must not wait for a standby").isNull();
    }
    assertThat(Db.column(p.c2, "SELECT slot_name FROM pg_replication_slots")).containsExactly("rf_pg1");
    // Idempotent.
    p.a2.promote(new Promotion(topology(2, "pg1"), Optional.of(stopped.writeLsn())));
  }

  @Test
  void noPromotionOrPrimaryStartOnceTheLeaseIsGone() throws Exception {
    // Review B2: an operation can run long after the agent decided on it; the adapter asks right before
    // the step that makes the database writable.
    Pair p = new Pair(true);
    DatabaseEvents leaseGone = new DatabaseEvents() {
      @Override
      public void statusMayHaveChanged() {}

      @Override
      public boolean mayBecomeWritable(Epoch epoch) {
        return false;
      }
    };
    p.a2.attach(leaseGone);
    assertThatThrownBy(() -> p.a2.promote(new Promotion(topology(2, "pg1"), Optional.empty())))
        .isInstanceOf(DatabaseException.class).hasMessageContaining("lease for epoch 2 is no longer held: not promoting");
    assertThat(p.a2.status().state()).isEqualTo(DatabaseState.RUNNING_REPLICA);

    p.a1.attach(leaseGone);
    p.a1.fence(FenceMode.FAST);
    assertThatThrownBy(() -> p.a1.startPrimary(topology(1, "pg2")))
        .isInstanceOf(DatabaseException.class).hasMessageContaining("not starting as primary");
    assertThat(p.a1.status().state()).isEqualTo(DatabaseState.STOPPED);
  }

  @Test
  void aSwitchedOverPrimaryFollowsTheNewOneWithoutRewind() throws Exception {
    Pair p = new Pair(true);
    Db.execute(p.c1, "CREATE TABLE t (id int)");
    Db.execute(p.c1, "INSERT INTO t SELECT generate_series(1, 1000)");
    p.a1.fence(FenceMode.FAST);
    Lsn released = p.a1.status().writeLsn();
    p.a2.promote(new Promotion(topology(2, "pg1"), Optional.of(released)));
    assertThat(p.a2.status().position()).isGreaterThan(released);

    try (LogCapture logs = LogCapture.of(PostgresAdapter.class)) {
      p.a1.startReplica(Optional.of(upstream("pg2", p.a2)));
      assertThat(logs.contains("no rewind needed")).as(String.join("\n", logs.messages())).isTrue();
      assertThat(logs.contains("rewinding")).isFalse();
    }
    DatabaseStatus s1 = awaitState(p.a1, DatabaseState.RUNNING_REPLICA);
    assertThat(s1.upstream()).contains(MemberId.of("pg2"));
    Db.execute(p.c2, "INSERT INTO t VALUES (1001)");
    Await.until("pg1 replays the new primary's writes", WAIT,
        () -> "1001".equals(Db.valueOrNull(p.c1, "SELECT count(*) FROM t")));
    Await.until("pg1 on timeline 2", WAIT, () -> {
      try {
        return p.a1.status().timeline() == 2;
      } catch (DatabaseException e) {
        return false;
      }
    });
    awaitStreaming(p.a2, "pg1");
  }

  @Test
  void aDivergedFormerPrimaryIsRewoundAndLosesOnlyItsOwnDivergentWrites() throws Exception {
    Pair p = new Pair(true);
    Db.execute(p.c1, "CREATE TABLE t (id int, origin text)");
    Db.execute(p.c1, "INSERT INTO t VALUES (1, 'common')");
    Await.until("common row on pg2", WAIT, () -> "1".equals(Db.valueOrNull(p.c2, "SELECT count(*) FROM t")));
    // A partition: pg2 is promoted while pg1 still takes writes.
    p.a2.promote(new Promotion(topology(2, "pg1"), Optional.empty()));
    Db.execute(p.c1, "INSERT INTO t SELECT g, 'lost' FROM generate_series(2, 500) g");
    Db.execute(p.c2, "INSERT INTO t VALUES (2, 'new primary')");
    p.a1.fence(FenceMode.IMMEDIATE);

    try (LogCapture logs = LogCapture.of(PostgresAdapter.class)) {
      p.a1.startReplica(Optional.of(upstream("pg2", p.a2)));
      assertThat(logs.contains("pg_rewind: rewound")).as(String.join("\n", logs.messages())).isTrue();
    }
    awaitState(p.a1, DatabaseState.RUNNING_REPLICA);
    Await.until("pg1 holds exactly the new primary's history", WAIT,
        () -> "common,new primary".equals(Db.valueOrNull(p.c1, "SELECT string_agg(origin, ',' ORDER BY id) FROM t")));
    awaitStreaming(p.a2, "pg1");
    assertThat(p.a1.status().timeline()).isEqualTo(2);
  }

  @Test
  void aCrashedPrimaryIsRewoundAfterItsCrashRecovery() throws Exception {
    Pair p = new Pair(true);
    Db.execute(p.c1, "CREATE TABLE t (id int)");
    p.a2.promote(new Promotion(topology(2, "pg1"), Optional.empty()));
    Db.execute(p.c1, "INSERT INTO t SELECT generate_series(1, 100)");
    PgSandbox.killPostmaster(p.c1.dataDirectory());
    DatabaseStatus crashed = awaitState(p.a1, DatabaseState.STOPPED);
    assertThat(crashed.detail()).contains("without a clean shutdown");
    p.a1.fence(FenceMode.IMMEDIATE); // as the agent does before anything else: no orphan backend may write

    p.a1.startReplica(Optional.of(upstream("pg2", p.a2)));
    awaitState(p.a1, DatabaseState.RUNNING_REPLICA);
    Await.until("pg1 without its divergent rows", WAIT, () -> "0".equals(Db.valueOrNull(p.c1, "SELECT count(*) FROM t")));
  }

  /**
   * Two servers promoted from one timeline at different points both number their new timeline 2: a
   * member's promotion went ahead after it had lost the epoch, and the next member promoted too.
   * pg_rewind takes them for one timeline ("no rewind required"), and streaming would mix the two
   * histories' WAL (chaos seed 661888: "incorrect prev-link" at a later promotion). The data
   * directory is left untouched, or re-cloned where the configuration allows it.
   */
  @Test
  void aFormerPrimaryOnAnotherTimelineOfTheSameNumberIsNeverFollowedAsItIs() throws Exception {
    Pair p = new Pair(true);
    Db.execute(p.c1, "CREATE TABLE t (id int, origin text)");
    Db.execute(p.c1, "INSERT INTO t VALUES (1, 'common')");
    Await.until("common row on pg2", WAIT, () -> "1".equals(Db.valueOrNull(p.c2, "SELECT count(*) FROM t")));
    p.a2.promote(new Promotion(topology(2, "pg1"), Optional.empty()));
    Db.execute(p.c1, "INSERT INTO t SELECT g, 'lost' FROM generate_series(2, 300) g");
    // pg1's own promotion, from further along timeline 1: also timeline 2.
    p.a1.fence(FenceMode.IMMEDIATE);
    p.a1.startReplica(Optional.empty());
    p.a1.promote(new Promotion(topology(3, "pg2"), Optional.empty()));
    Db.execute(p.c1, "INSERT INTO t VALUES (400, 'abandoned promotion')");
    assertThat(p.a1.status().timeline()).as("precondition: both on a timeline 2").isEqualTo(2);
    assertThat(p.a2.status().timeline()).isEqualTo(2);
    p.a1.fence(FenceMode.IMMEDIATE);
    Db.execute(p.c2, "INSERT INTO t VALUES (2, 'new primary')");

    assertThatThrownBy(() -> p.a1.startReplica(Optional.of(upstream("pg2", p.a2))))
        .isInstanceOfSatisfying(DatabaseException.class, e -> {
          assertThat(e.kind()).isEqualTo(DatabaseException.Kind.DATA_MISMATCH);
          assertThat(e.getMessage()).contains("two servers were promoted to the same timeline number")
              .contains("left as it is");
        });
    assertThat(p.a1.status().state()).isEqualTo(DatabaseState.STOPPED);

    p.a1.close();
    PostgresAdapter allowed = pg.adapter("pg1", p.c1.toBuilder().allowDataDirectoryRemoval(true)
        .rewindPolicy(PostgresConfig.RewindPolicy.REWIND_THEN_RECLONE).build());
    allowed.startReplica(Optional.of(upstream("pg2", p.a2)));
    Await.until("pg1 holds exactly the new primary's history", WAIT,
        () -> "common,new primary".equals(Db.valueOrNull(p.c1, "SELECT string_agg(origin, ',' ORDER BY id) FROM t")));
    awaitStreaming(p.a2, "pg1");
  }

  /**
   * A primary that crashes while the checkpoint begun by its promotion is still running (spread
   * over minutes on a busy server) has a control file naming its previous timeline, which is where
   * pg_rewind takes the target's timeline from. Brought back as the agent does — first as a
   * standby without upstream, since nobody is primary for a moment — it must still be rewound
   * correctly and follow the next primary. (Found by the benchmark: a switchover, then a crash.)
   */
  @Test
  void aPrimaryThatCrashedBeforeItsFirstCheckpointEndedIsRewoundCorrectly() throws Exception {
    PostgresConfig c1 = pg.config(pg.copyOfTemplate("pg1")).serverParameter("checkpoint_timeout", "30min").build();
    PostgresConfig c2 = pg.config(pg.dataDirectory("pg2")).serverParameter("checkpoint_timeout", "30min").build();
    PostgresAdapter a1 = pg.adapter("pg1", c1);
    PostgresAdapter a2 = pg.adapter("pg2", c2);
    a1.startPrimary(topology(1, "pg2"));
    a2.startReplica(Optional.of(upstream("pg1", a1)));
    awaitStreaming(a1, "pg2");
    Db.execute(c1, "CREATE TABLE t (id int, pad text)");
    // Many changes pg2 replays and keeps in dirty buffers: its promotion checkpoint will be long.
    Db.execute(c1, "INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 40000) g");
    Await.until("pg2 has everything", WAIT,
        () -> Db.valueOrNull(c1, "SELECT count(*) FROM t").equals(Db.valueOrNull(c2, "SELECT count(*) FROM t")));

    // Round A, a switchover: pg1 stops cleanly; pg2 is promoted as PostgreSQL does it (its
    // checkpoint spread over minutes, as if it crashed before the adapter's own checkpoint); pg1
    // follows without a rewind, so nobody forces a checkpoint on pg2.
    a1.fence(FenceMode.FAST);
    Db.execute(c2, "SELECT pg_promote(true)");
    a1.startReplica(Optional.empty());
    a1.startReplica(Optional.of(upstream("pg2", a2)));
    awaitStreaming(a2, "pg1");
    assertThat(Db.value(c2, "SELECT timeline_id FROM pg_control_checkpoint()"))
        .as("precondition: pg2's control file still names timeline 1; %s", checkpointLines(c2)).isEqualTo("1");

    // Round B: pg2 crashes with commits pg1 never received; pg1 is promoted.
    a1.startReplica(Optional.empty());
    Await.until("pg2 without standby", WAIT, () -> "0".equals(Db.valueOrNull(c2, "SELECT count(*) FROM pg_stat_replication")));
    Db.execute(c2, "INSERT INTO t SELECT g, 'lost' FROM generate_series(1, 300) g");
    PgSandbox.killPostmaster(c2.dataDirectory());
    a2.fence(FenceMode.IMMEDIATE);
    a1.promote(new Promotion(topology(3, "pg2"), Optional.empty()));
    Db.execute(c1, "INSERT INTO t VALUES (-1, 'new primary')");
    String expected = Db.value(c1, "SELECT count(*) FROM t");

    a2.startReplica(Optional.empty());
    a2.startReplica(Optional.of(upstream("pg1", a1)));
    Await.until("pg2 follows pg1 on timeline 3 with pg1's data", WAIT, () -> {
      try {
        DatabaseStatus s = a2.status();
        return s.isReplica() && s.timeline() == 3 && expected.equals(Db.valueOrNull(c2, "SELECT count(*) FROM t"));
      } catch (DatabaseException e) {
        return false;
      }
    }, () -> String.valueOf(statusOrError(a2)));
    assertThat(Db.value(c2, "SELECT count(*) FROM t WHERE pad = 'lost'")).isEqualTo("0");
  }

  @Test
  void aStoppedServerReportsItsShutdownCheckpoint() throws Exception {
    Pair p = new Pair(true);
    Db.execute(p.c1, "CREATE TABLE t AS SELECT generate_series(1, 100) id");
    Lsn before = p.a1.status().writeLsn();
    p.a1.fence(FenceMode.FAST);
    DatabaseStatus s = p.a1.status();
    assertThat(s.state()).isEqualTo(DatabaseState.STOPPED);
    assertThat(s.timeline()).isEqualTo(1);
    assertThat(s.writeLsn()).isGreaterThanOrEqualTo(before);
    assertThat(s.systemIdentifier()).isPresent();
    assertThat(s.detail()).contains("shut down cleanly");
    // The standby received everything up to and including the shutdown checkpoint.
    Await.until("pg2 received the shutdown checkpoint", WAIT, () -> {
      try {
        return p.a2.status().receivedLsn().compareTo(s.writeLsn()) > 0;
      } catch (DatabaseException e) {
        return false;
      }
    });
  }

  @Test
  void aPostmasterCrashIsReportedAtOnce() throws Exception {
    Pair p = new Pair(false);
    AtomicInteger notified = new AtomicInteger();
    p.a1.attach(notified::incrementAndGet);
    long t0 = System.nanoTime();
    PgSandbox.killPostmaster(p.c1.dataDirectory());
    Await.until("the crash reported", Duration.ofSeconds(2), () -> notified.get() > 0);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(1));
    assertThat(p.a1.status().state()).isEqualTo(DatabaseState.STOPPED);
  }

  @Test
  void aRestartedAdapterFindsTheRunningServerAndWatchesIt() throws Exception {
    Pair p = new Pair(false);
    p.a1.close();
    PostgresAdapter again = pg.adapter("pg1", p.c1);
    AtomicInteger notified = new AtomicInteger();
    again.attach(notified::incrementAndGet);
    assertThat(again.status().state()).isEqualTo(DatabaseState.RUNNING_PRIMARY);
    PgSandbox.killPostmaster(p.c1.dataDirectory());
    Await.until("the crash reported", Duration.ofSeconds(5), () -> notified.get() > 0);
    again.fence(FenceMode.IMMEDIATE);
    again.startPrimary(topology(1));
    assertThat(again.status().state()).isEqualTo(DatabaseState.RUNNING_PRIMARY);
  }

  @Test
  void fenceStopsTheServerEvenWhileAnotherOperationWaits() throws Exception {
    Pair p = new Pair(true);
    p.a1.fence(FenceMode.IMMEDIATE);
    assertThat(p.a1.status().state()).isEqualTo(DatabaseState.STOPPED);
    // Fences are goals: again is a no-op.
    p.a1.fence(FenceMode.FAST);
    p.a1.fence(FenceMode.IMMEDIATE);
    assertThat(PgSandbox.postmasterPid(p.c1.dataDirectory())).isEmpty();
  }

  @Test
  void aHungServerMakesStatusFailFastAndCanStillBeFenced() throws Exception {
    Pair p = new Pair(false);
    Path dir = p.c1.dataDirectory();
    for (long pid : io.ratisfailover.postgres.internal.ProcFs.processesIn(dir)) {
      ProcessHandle.of(pid).ifPresent(h -> signal("STOP", pid));
    }
    long t0 = System.nanoTime();
    DatabaseStatus s = p.a1.status();
    Duration took = Duration.ofNanos(System.nanoTime() - t0);
    assertThat(s.state()).isEqualTo(DatabaseState.UNKNOWN);
    assertThat(took).isLessThan(p.c1.statusTimeout().plusMillis(300));
    // Again, while the first query may still be stuck: still bounded.
    t0 = System.nanoTime();
    assertThat(p.a1.status().state()).isEqualTo(DatabaseState.UNKNOWN);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(p.c1.statusTimeout().plusMillis(300));

    p.a1.fence(FenceMode.IMMEDIATE);
    assertThat(p.a1.status().state()).isEqualTo(DatabaseState.STOPPED);
    // The fence returns once no process can run again; a stopped one that was killed may take a
    // moment longer to leave the process table (a loaded machine still listed one right after).
    Await.until("every process of the frozen server gone", Duration.ofSeconds(10),
        () -> io.ratisfailover.postgres.internal.ProcFs.processesIn(dir).isEmpty());
  }

  @Test
  void aFrozenServerIsFencedWithoutWaitingForItToThaw() throws Exception {
    Pair p = new Pair(false);
    var freezer = pg.freeze(p.c1.dataDirectory());
    assertThat(p.a1.status().state()).isEqualTo(DatabaseState.UNKNOWN);
    long t0 = System.nanoTime();
    p.a1.fence(FenceMode.IMMEDIATE);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    DatabaseStatus s = p.a1.status();
    assertThat(s.state()).isEqualTo(DatabaseState.STOPPED);
    assertThat(s.detail()).contains("have not exited yet");
    freezer.thaw();
    Await.until("the killed processes gone after the thaw", WAIT,
        () -> io.ratisfailover.postgres.internal.ProcFs.processesIn(p.c1.dataDirectory()).isEmpty());
  }

  private static String checkpointLines(PostgresConfig c) throws java.io.IOException {
    return String.join("\n", Files.readAllLines(c.serverLog()).stream().filter(l -> l.contains("checkpoint")
        || l.contains("restartpoint") || l.contains("promot") || l.contains("selected new timeline")).toList());
  }

  private static void signal(String sig, long pid) {
    try {
      new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).start().waitFor();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void restartAndReloadKeepTheRole() throws Exception {
    Pair p = new Pair(true);
    long before = PgSandbox.postmasterPid(p.c2.dataDirectory()).orElseThrow();
    p.a2.restart();
    assertThat(PgSandbox.postmasterPid(p.c2.dataDirectory())).isPresent().get().isNotEqualTo(before);
    awaitState(p.a2, DatabaseState.RUNNING_REPLICA);
    p.a2.reload();
    p.a1.restart();
    assertThat(p.a1.status().state()).isEqualTo(DatabaseState.RUNNING_PRIMARY);
  }

  @Test
  void aStandbyWithoutUpstreamCanLaterFollowAPrimary() throws Exception {
    Pair p = new Pair(true);
    p.a2.fence(FenceMode.FAST);
    p.a2.startReplica(Optional.empty());
    DatabaseStatus s = awaitState(p.a2, DatabaseState.RUNNING_REPLICA);
    assertThat(s.upstream()).isEmpty();
    p.a2.startReplica(Optional.of(upstream("pg1", p.a1)));
    assertThat(awaitState(p.a2, DatabaseState.RUNNING_REPLICA).upstream()).contains(MemberId.of("pg1"));
    awaitStreaming(p.a1, "pg2");
  }

  @Test
  void noPasswordReachesTheLog() throws Exception {
    try (LogCapture logs = LogCapture.of(PostgresAdapter.class)) {
      Pair p = new Pair(true);
      p.a1.fence(FenceMode.FAST);
      p.a2.promote(new Promotion(topology(2, "pg1"), Optional.empty()));
      p.a1.startReplica(Optional.of(upstream("pg2", p.a2)));
      assertThat(logs.messages()).isNotEmpty().noneMatch(m -> m.contains(PgSandbox.SUPERUSER_PASSWORD)
          || m.contains(PgSandbox.REPLICATION_PASSWORD) || m.contains("password="));
      String serverLog = Files.readString(p.c1.serverLog()) + Files.readString(p.c2.serverLog());
      assertThat(serverLog).doesNotContain(PgSandbox.REPLICATION_PASSWORD);
    }
  }
}

package io.ratisfailover.postgres;

import static io.ratisfailover.postgres.testing.PgSandbox.topology;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.MemberId;
import io.ratisfailover.postgres.testing.Db;
import io.ratisfailover.postgres.testing.PgSandbox;
import io.ratisfailover.spi.DatabaseException;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.FenceMode;
import io.ratisfailover.spi.Promotion;
import io.ratisfailover.spi.Upstream;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.Ports;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Wrong configuration and hostile surroundings: a clear error naming the problem, and no data deleted. */
class PostgresAdapterBadInputTest {
  @RegisterExtension
  static final PgSandbox pg = new PgSandbox();

  private static Upstream upstream(String member, PostgresAdapter adapter) {
    return new Upstream(MemberId.of(member), adapter.attributes());
  }

  private PostgresAdapter primary(String name, PostgresConfig.Builder config) throws Exception {
    PostgresAdapter a = pg.adapter(name, config.build());
    a.startPrimary(topology(1, "pg2"));
    return a;
  }

  @Test
  void aWrongBinaryDirectoryIsNamedWithWhatIsMissing() {
    Path bogus = Path.of("/usr/lib/postgresql/999/bin");
    PostgresAdapter a = pg.adapter("pg1", pg.config(pg.dataDirectory("pg1")).binDirectory(bogus).build());
    assertThatThrownBy(a::status).isInstanceOfSatisfying(DatabaseException.class, e -> {
      assertThat(e.kind()).isEqualTo(DatabaseException.Kind.MISCONFIGURED);
      assertThat(e.getMessage()).contains("binDirectory " + bogus).contains("initdb").contains("does not exist");
    });
    assertThatThrownBy(() -> a.bootstrap(topology(1))).isInstanceOf(DatabaseException.class)
        .hasMessageContaining(bogus.toString());
    assertThat(Files.exists(pg.dataDirectory("pg1"))).isFalse();
  }

  /**
   * A server that exits during start-up removes its PID file: the start used to wait out the whole
   * start timeout for it (60 s by default), with no primary meanwhile. Found in a benchmark run where a
   * watchdog, its deadline just passed, stopped a primary the instant it started.
   */
  @Test
  void aServerThatExitsDuringStartUpIsReportedAtOnceNamingTheCause() throws Exception {
    PostgresConfig c = pg.config(pg.copyOfTemplate("pg1")).build();
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", c.port()));
      PostgresAdapter a = pg.adapter("pg1", c);
      long start = System.nanoTime();
      assertThatThrownBy(() -> a.startPrimary(topology(1, "pg2"))).isInstanceOfSatisfying(DatabaseException.class, e -> {
        assertThat(e.kind()).isEqualTo(DatabaseException.Kind.MISCONFIGURED);
        assertThat(e.getMessage()).contains("is port " + c.port() + " used by another server?");
      });
      assertThat(Duration.ofNanos(System.nanoTime() - start)).as("long before the start timeout of " + c.startTimeout())
          .isLessThan(c.startTimeout().dividedBy(2));
    }
  }

  @Test
  void aDataDirectoryOfAnotherClusterIsRefusedAndLeftAlone() throws Exception {
    PostgresAdapter p1 = primary("pg1", pg.config(pg.copyOfTemplate("pg1")));
    // pg2's directory holds a brand-new cluster of its own: a different system identifier.
    PostgresConfig c2 = pg.config(pg.dataDirectory("pg2")).build();
    PostgresAdapter stranger = pg.adapter("pg2", c2);
    stranger.bootstrap(topology(1));
    Db.execute(c2, "CREATE TABLE precious AS SELECT 1 AS id");
    String foreignId = stranger.status().systemIdentifier().orElseThrow();
    stranger.fence(FenceMode.FAST);

    PostgresAdapter a2 = pg.adapter("pg2", c2);
    String ours = p1.status().systemIdentifier().orElseThrow();
    assertThatThrownBy(() -> a2.startReplica(Optional.of(upstream("pg1", p1))))
        .isInstanceOfSatisfying(DatabaseException.class, e -> {
          assertThat(e.kind()).isEqualTo(DatabaseException.Kind.DATA_MISMATCH);
          assertThat(e.getMessage()).contains("another cluster").contains(foreignId)
              .contains(ours).contains(c2.dataDirectory().toString());
        });
    a2.startPrimary(topology(1)); // the data is all there
    assertThat(Db.value(c2, "SELECT count(*) FROM precious")).isEqualTo("1");
    assertThat(a2.status().systemIdentifier()).contains(foreignId);
  }

  @Test
  void anUnreachablePrimaryWhileCloningIsATransientErrorNamingIt() throws Exception {
    int closedPort = Ports.free(1)[0];
    PostgresAdapter a2 = pg.adapter("pg2", pg.config(pg.dataDirectory("pg2")).build());
    Upstream gone = new Upstream(MemberId.of("pg1"), Map.of("host", "127.0.0.1", "port", Integer.toString(closedPort)));
    assertThatThrownBy(() -> a2.startReplica(Optional.of(gone))).isInstanceOfSatisfying(DatabaseException.class, e -> {
      assertThat(e.kind()).isEqualTo(DatabaseException.Kind.TRANSIENT);
      assertThat(e.getMessage()).contains("cannot clone").contains("cannot reach upstream pg1 (127.0.0.1:" + closedPort);
    });
    assertThat(a2.status().state()).isEqualTo(DatabaseState.ABSENT);
  }

  @Test
  void aWrongReplicationPasswordIsAnAuthenticationError() throws Exception {
    PostgresAdapter p1 = primary("pg1", pg.config(pg.copyOfTemplate("pg1")));
    PostgresAdapter a2 = pg.adapter("pg2", pg.config(pg.dataDirectory("pg2"))
        .replication("replicator", "not the password").build());
    assertThatThrownBy(() -> a2.startReplica(Optional.of(upstream("pg1", p1))))
        .isInstanceOfSatisfying(DatabaseException.class, e -> {
          assertThat(e.kind()).isEqualTo(DatabaseException.Kind.AUTHENTICATION);
          assertThat(e.getMessage()).contains("refused user 'replicator'").contains("password")
              .doesNotContain("not the password");
        });
    assertThat(a2.status().state()).isEqualTo(DatabaseState.ABSENT);
  }

  @Test
  void aFullDiskDuringACloneIsNamedAndDeletesNothingElse() throws Exception {
    PostgresConfig.Builder c1 = pg.config(pg.copyOfTemplate("pg1"));
    PostgresAdapter p1 = primary("pg1", c1);
    // More data than the small file system holds.
    PostgresConfig primaryConfig = p1.config();
    Db.execute(primaryConfig, "CREATE TABLE filler AS SELECT g AS id, repeat('x', 500) AS pad FROM generate_series(1, 60000) g");
    Path small = pg.smallFileSystem("small", "24m");
    Path keep = small.resolve("keep-me.txt");
    Files.writeString(keep, "someone else's file");
    PostgresAdapter a2 = pg.adapter("pg2", pg.config(small.resolve("pg2")).logFile(pg.dataDirectory("pg2-log")).build());

    assertThatThrownBy(() -> a2.startReplica(Optional.of(upstream("pg1", p1))))
        .isInstanceOfSatisfying(DatabaseException.class, e -> {
          assertThat(e.kind()).isEqualTo(DatabaseException.Kind.FATAL);
          assertThat(e.getMessage()).contains("disk is full").contains("No space left on device");
        });
    assertThat(keep).hasContent("someone else's file");
    assertThat(a2.status().state()).isEqualTo(DatabaseState.ABSENT);
    assertThat(p1.status().state()).isEqualTo(DatabaseState.RUNNING_PRIMARY);
  }

  @Test
  void aDirectoryWithSomethingElseInItIsNotClonedOver() throws Exception {
    PostgresAdapter p1 = primary("pg1", pg.config(pg.copyOfTemplate("pg1")));
    Path dir = pg.dataDirectory("pg2");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("notes.txt"), "not a cluster");
    PostgresAdapter a2 = pg.adapter("pg2", pg.config(dir).build());
    assertThat(a2.status().state()).isEqualTo(DatabaseState.ABSENT);
    assertThatThrownBy(() -> a2.startReplica(Optional.of(upstream("pg1", p1))))
        .isInstanceOfSatisfying(DatabaseException.class, e -> {
          assertThat(e.kind()).isEqualTo(DatabaseException.Kind.DATA_MISMATCH);
          assertThat(e.getMessage()).contains("not empty").contains("allowDataDirectoryRemoval");
        });
    assertThat(dir.resolve("notes.txt")).hasContent("not a cluster");
  }

  /**
   * A former primary that cannot be rewound (no checksums, no wal_log_hints) keeps its data unless
   * removal is allowed; with REWIND_THEN_RECLONE it is cloned afresh.
   */
  @Test
  void anUnrewindableFormerPrimaryIsKeptUnlessReCloningIsAllowed() throws Exception {
    PostgresConfig c1 = pg.config(pg.copyOfTemplate("pg1")).serverParameter("wal_log_hints", "off").build();
    PostgresAdapter a1 = pg.adapter("pg1", c1);
    a1.startPrimary(topology(1, "pg2"));
    PostgresAdapter a2 = pg.adapter("pg2", pg.config(pg.dataDirectory("pg2")).build());
    a2.startReplica(Optional.of(upstream("pg1", a1)));
    Await.until("pg2 streaming", Duration.ofSeconds(30), () -> {
      try {
        return a1.status().replicas().stream().anyMatch(r -> r.streaming());
      } catch (DatabaseException e) {
        return false;
      }
    });
    a2.promote(new Promotion(topology(2, "pg1"), Optional.empty()));
    Db.execute(c1, "CREATE TABLE divergent AS SELECT 1 AS id");
    a1.fence(FenceMode.FAST);
    disableChecksums(c1.dataDirectory());

    assertThatThrownBy(() -> a1.startReplica(Optional.of(upstream("pg2", a2))))
        .isInstanceOfSatisfying(DatabaseException.class, e -> {
          assertThat(e.kind()).isEqualTo(DatabaseException.Kind.DATA_MISMATCH);
          assertThat(e.getMessage()).contains("neither data checksums nor wal_log_hints")
              .contains("left as it is").contains("REWIND_THEN_RECLONE");
        });
    assertThat(a1.status().state()).isEqualTo(DatabaseState.STOPPED);
    assertThat(a1.status().timeline()).isEqualTo(1); // untouched

    a1.close();
    PostgresAdapter allowed = pg.adapter("pg1", c1.toBuilder().allowDataDirectoryRemoval(true)
        .rewindPolicy(PostgresConfig.RewindPolicy.REWIND_THEN_RECLONE).build());
    allowed.startReplica(Optional.of(upstream("pg2", a2)));
    Await.until("pg1 re-cloned from pg2, on timeline 2", Duration.ofSeconds(30), () -> {
      try {
        var s = allowed.status();
        return s.state() == DatabaseState.RUNNING_REPLICA && s.timeline() == 2;
      } catch (DatabaseException e) {
        return false;
      }
    });
    assertThat(Db.value(c1, "SELECT count(*) FROM pg_class WHERE relname = 'divergent'")).isEqualTo("0");
  }

  @Test
  void reinitializeIsRefusedWhenRemovalIsNotAllowed() throws Exception {
    PostgresAdapter p1 = primary("pg1", pg.config(pg.copyOfTemplate("pg1")));
    PostgresAdapter a2 = pg.adapter("pg2", pg.config(pg.dataDirectory("pg2")).build());
    a2.startReplica(Optional.of(upstream("pg1", p1)));
    assertThatThrownBy(() -> a2.reinitialize(upstream("pg1", p1))).isInstanceOfSatisfying(DatabaseException.class,
        e -> assertThat(e.getMessage()).contains("allowDataDirectoryRemoval = false"));
    assertThat(a2.status().state()).isIn(DatabaseState.RUNNING_REPLICA, DatabaseState.STARTING);
  }

  private static void disableChecksums(Path dataDirectory) throws Exception {
    List<String> cmd = new java.util.ArrayList<>();
    PgSandbox.osUser().ifPresent(u -> cmd.addAll(List.of("setpriv", "--reuid=" + u, "--regid=" + u, "--init-groups", "--")));
    cmd.addAll(List.of(io.ratisfailover.postgres.internal.Binaries.find(Optional.empty()).directory().resolve("pg_checksums")
        .toString(), "--disable", "-D", dataDirectory.toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }
}

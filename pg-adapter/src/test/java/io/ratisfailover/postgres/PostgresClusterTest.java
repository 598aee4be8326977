package io.ratisfailover.postgres;

import static io.ratisfailover.postgres.testing.Faults.other;
import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.LocalRole;
import io.ratisfailover.Timing;
import io.ratisfailover.postgres.testing.Db;
import io.ratisfailover.postgres.testing.Faults;
import io.ratisfailover.postgres.testing.PgCluster;
import io.ratisfailover.postgres.testing.PgSandbox;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.testing.Await;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The cluster scenarios with every member in this JVM and local PostgreSQL servers (always runs),
 * plus a frozen server, which needs the local cgroup freezer.
 */
class PostgresClusterTest extends ClusterScenarios {
  @RegisterExtension
  static final PgSandbox pg = new PgSandbox();

  @Override
  PgCluster newCluster(String name, ClusterSettings settings) {
    return PgCluster.threeMembers(pg, name, Timing.defaults(), settings).startAll();
  }

  @Override
  <T extends AutoCloseable> T closeAfterTest(T closeable) {
    return pg.closeAfterTest(closeable);
  }

  /**
   * A frozen PostgreSQL (every process stopped by the cgroup freezer) answers nothing: the agent's
   * loop keeps cycling, the probe stops answering 200, the member fences (the killed processes die
   * the moment they are thawed) and gives up its epoch, and the other member takes over.
   */
  @Test
  void aFrozenPostgresNeverBlocksTheAgent() throws Exception {
    PgCluster c = newCluster("frozen", ClusterSettings.DEFAULT);
    String old = Faults.awaitSteady(c, WAIT);
    String next = other(old);
    var freezer = pg.freeze(c.postgres(old).dataDirectory());
    long frozenAt = System.nanoTime();
    Await.until(old + " no longer serving", WAIT, () -> !c.member(old).servingPrimary(), c::describe);
    Duration stoppedServing = Duration.ofNanos(System.nanoTime() - frozenAt);
    Await.until(next + " serving", WAIT, () -> c.servingPrimary().filter(next::equals).isPresent(), c::describe);
    Duration failedOver = Duration.ofNanos(System.nanoTime() - frozenAt);
    // The agent kept deciding while its database hung: its cycles stay short.
    assertThat(c.member(old).local().lastCycle()).isLessThan(Duration.ofMillis(500));
    assertThat(c.member(old).local().role()).isNotEqualTo(LocalRole.PRIMARY);
    assertThat(c.database(old).map(d -> d.state())).contains(DatabaseState.STOPPED);
    System.out.printf("frozen primary: stopped serving after %d ms, %s serving after %d ms%n", stoppedServing.toMillis(),
        next, failedOver.toMillis());

    freezer.thaw();
    c.awaitFollowing(old, next, WAIT);
    Faults.awaitSameTimeline(c, old, next, WAIT);
    assertThat(Db.value(c.postgres(old), "SELECT pg_is_in_recovery()")).isEqualTo("t");
  }

}

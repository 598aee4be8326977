package io.ratisfailover.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.ratisfailover.ClusterSettings;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.Timing;
import io.ratisfailover.postgres.testing.Faults;
import io.ratisfailover.postgres.testing.PgCluster;
import io.ratisfailover.postgres.testing.PgSandbox;
import io.ratisfailover.postgres.testing.PrimaryPool;
import io.ratisfailover.postgres.testing.Writer;
import io.ratisfailover.testing.Await;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A client without HAProxy: a HikariCP pool over a pgjdbc multi-host URL with
 * {@code targetServerType=primary} keeps writing through the loss of the primary's whole host (agent
 * and PostgreSQL), knowing nothing of the cluster but the two servers' addresses. The gap it sees
 * is printed, not asserted; {@code ./run-benchmark --suite pool} measures it over several runs.
 */
class PoolFailoverTest {
  static final Duration WAIT = Duration.ofSeconds(90);

  @RegisterExtension
  static final PgSandbox pg = new PgSandbox();

  @Test
  void aPoolOverAMultiHostUrlKeepsWritingThroughAFailover() throws Exception {
    PgCluster c = PgCluster.threeMembers(pg, "pool", Timing.defaults(),
        ClusterSettings.DEFAULT.withSynchronousMode(SynchronousMode.ON)).startAll();
    String old = Faults.awaitSteady(c, WAIT);
    String next = Faults.other(old);
    Writer.createTable(c.postgres(old));
    HikariDataSource pool = pg.closeAfterTest(PrimaryPool.create(List.of(c.postgres("pg1"), c.postgres("pg2")), 2));
    Writer w = pg.closeAfterTest(Writer.through(pool, Duration.ofMillis(20), Duration.ofSeconds(5)).start());
    w.awaitAcknowledged(20, WAIT);

    long killedAt = System.nanoTime();
    c.killMember(old);
    Await.until(next + " serving", WAIT, () -> c.servingPrimary().filter(next::equals).isPresent(), c::describe);
    long servingAt = System.nanoTime();
    w.awaitAcknowledged(20, WAIT);

    assertThat(w.acknowledgedSince(servingAt)).isPositive();
    // Synchronous mode: every write the pool saw acknowledged, before or after, is on the new primary.
    assertThat(w.lostOn(c.postgres(next))).isEmpty();
    System.out.printf("HikariCP pool over a multi-host URL: %s -> %s, writes unavailable for %s; %s%n", old, next,
        w.unavailability(killedAt, servingAt).map(d -> d.toMillis() + " ms").orElse("?"), w);
  }
}

package io.ratisfailover.ratis;

import io.ratisfailover.LocalRole;
import io.ratisfailover.Timing;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.LocalCluster;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member whose requests found no Raft leader for longer than the client's retries (it started
 * first, or the group lost its leader) must still be heard once a leader exists: Ratis' ordered
 * client refuses every later request once one has run out of retries, so that client is replaced.
 */
class LeaderlessStartTest {
  @TempDir Path dir;

  @Test
  void aMemberThatWaitedAloneForALeaderJoinsOnceTheOthersArrive() {
    try (LocalCluster cluster = LocalCluster.threeMembers("alone", dir, Timing.defaults())) {
      cluster.start("pg1");
      long alone = System.nanoTime();
      // Alone for longer than the client's retries last (5 x rpc_timeout / 5): its first requests fail.
      Await.until("pg1 alone for 2 s, still starting", Duration.ofSeconds(10),
          () -> cluster.member("pg1").local().role() == LocalRole.STARTING
              && System.nanoTime() - alone > Duration.ofSeconds(2).toNanos(), cluster::describe);
      cluster.start("pg2");
      cluster.start("w1");
      Await.until("pg1 past its boot barrier", Duration.ofSeconds(20),
          () -> cluster.member("pg1").local().role() != LocalRole.STARTING, cluster::describe);
      Await.until("a serving primary", Duration.ofSeconds(20), () -> cluster.servingPrimary().isPresent(), cluster::describe);
    }
  }
}

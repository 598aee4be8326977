package io.ratisfailover;

import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.LocalCluster;
import io.ratisfailover.testing.Ports;
import io.ratisfailover.testing.TestPki;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutual TLS on a shared Raft server: one certificate of the witness serves the groups of two
 * clusters whose members hold certificates from the same CA, and their signed commands (every
 * renewal of a serving primary is one) are accepted in both.
 */
class SharedRaftHostTlsTest {
  static final Duration PATIENCE = Duration.ofSeconds(30);

  @TempDir Path dir;

  @Test
  void oneWitnessCertificateServesTheGroupsOfTwoClusters() {
    TestPki pki = TestPki.create(dir.resolve("pki"), "fleet-ca");
    try (RaftHost host = RaftHost.builder().memberId("w1").raftAddress("127.0.0.1:" + Ports.free(1)[0])
        .storageDirectory(dir.resolve("w1")).raftTls(pki.issue("w1")).build()) {
      host.start();
      try (LocalCluster orders = LocalCluster.sharingWitness("orders", dir.resolve("orders"), Timing.defaults(), host)
              .raftTls(id -> Optional.of(pki.issue(id.value())));
          LocalCluster billing = LocalCluster.sharingWitness("billing", dir.resolve("billing"), Timing.defaults(), host)
              .raftTls(id -> Optional.of(pki.issue(id.value())))) {
        orders.startAll();
        billing.startAll();
        for (LocalCluster c : java.util.List.of(orders, billing)) {
          Await.until("a serving primary", PATIENCE, () -> c.servingPrimary().isPresent(), c::describe);
          Await.until("the witness applied the election", PATIENCE,
              () -> c.member("w1").cluster().primary().equals(c.servingPrimary().map(FailoverMember::id)), c::describe);
        }
      }
    }
  }
}

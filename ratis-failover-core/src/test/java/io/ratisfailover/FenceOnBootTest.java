package io.ratisfailover;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.spi.PrimaryTopology;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.InMemoryDatabase;
import io.ratisfailover.testing.InMemoryDatabases;
import io.ratisfailover.testing.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Review B4 / docs/design.md §4.8: an agent restarted next to a PostgreSQL that still runs as primary (the
 * sidecar was killed, the postmaster survived) stops it before anything else — before it has read
 * the committed state, and even when no peer can be reached to read it from.
 */
class FenceOnBootTest {
  @TempDir Path dir;

  @Test
  void aMemberStartedNextToAWritableDatabaseFencesItWithoutWaitingForThePeers() throws Exception {
    int[] ports = Ports.free(3);
    List<Peer> peers = List.of(Peer.data("pg1", "127.0.0.1:" + ports[0]), Peer.data("pg2", "127.0.0.1:" + ports[1]),
        Peer.witness("w1", "127.0.0.1:" + ports[2]));
    InMemoryDatabase db = new InMemoryDatabases().create(MemberId.of("pg1"));
    db.bootstrap(new PrimaryTopology(Epoch.of(1), Set.of(MemberId.of("pg2")), Set.of(), false));
    assertThat(db.isWritable()).isTrue();

    // Nobody else is up: the storage check and the Raft server wait for peers that never answer.
    FailoverMember pg1 = FailoverMember.builder().memberId("pg1").clusterName("orders").peers(peers)
        .storageDirectory(dir).timing(Timing.defaults()).database(db).insecureRaft().build();
    CompletableFuture<Void> started = CompletableFuture.runAsync(pg1::start);
    try {
      Await.until("pg1's database fenced", Timing.defaults().leaseDuration(), () -> !db.isWritable());
    } finally {
      started.handle((v, e) -> null).get();
      pg1.close();
    }
  }
}

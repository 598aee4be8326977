package io.ratisfailover.witness;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.FailoverMember;
import io.ratisfailover.MemberKind;
import io.ratisfailover.NoQuorumException;
import io.ratisfailover.Peer;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.InMemoryDatabases;
import io.ratisfailover.testing.Ports;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's side of a lost witness storage: the witness refuses to start with one line that
 * names {@code --rejoin}, and a start with {@code --rejoin} brings it back as a voter.
 */
class WitnessRejoinTest {
  static final Duration PATIENCE = Duration.ofSeconds(30);

  @TempDir Path dir;

  @Test
  void aWipedWitnessIsRefusedAndRejoinBringsItBack() throws IOException {
    int[] ports = Ports.free(3);
    List<Peer> peers = List.of(Peer.data("pg1", "127.0.0.1:" + ports[0]), Peer.data("pg2", "127.0.0.1:" + ports[1]),
        Peer.witness("w1", "127.0.0.1:" + ports[2]));
    Path config = dir.resolve("witness.yml");
    Files.writeString(config, """
        member: w1
        storage: %s
        raft: {insecure: true}
        clusters:
          - name: orders
            peers:
              - {id: pg1, kind: data, raft: %s}
              - {id: pg2, kind: data, raft: %s}
              - {id: w1, kind: witness, raft: %s}
        """.formatted(dir.resolve("w1"), peers.get(0).raftAddress(), peers.get(1).raftAddress(), peers.get(2).raftAddress()));
    List<WitnessConfig.Plan> plans = WitnessConfig.load(config, Map.of());
    InMemoryDatabases databases = new InMemoryDatabases();
    List<FailoverMember> data = new ArrayList<>();
    try {
      for (Peer p : peers) {
        if (p.kind() == MemberKind.DATA) {
          FailoverMember m = FailoverMember.builder().clusterName("orders").memberId(p.id()).peers(peers)
              .storageDirectory(dir.resolve(p.id().value())).database(databases.create(p.id())).insecureRaft().build();
          data.add(m);
          m.start();
        }
      }
      try (WitnessMain.Witness witness = new WitnessMain.Witness(plans)) {
        witness.start();
        FailoverMember primary = Await.value("a primary", PATIENCE,
            () -> data.stream().filter(FailoverMember::servingPrimary).findFirst().orElse(null));
        FailoverMember w1 = witness.members().get(0);
        Await.until("the witness caught up", PATIENCE, () -> w1.cluster().appliedIndex() >= primary.cluster().appliedIndex()
            && w1.cluster().primary().isPresent());
      }
      deleteTree(dir.resolve("w1"));

      StringWriter err = new StringWriter();
      int exit = WitnessMain.run(new String[] {"--config", config.toString()},
          new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
      assertThat(exit).isEqualTo(1);
      assertThat(err.toString().strip()).doesNotContain("\n").contains("w1", "empty", "--rejoin");

      try (WitnessMain.Witness witness = new WitnessMain.Witness(plans, true)) {
        witness.start();
        FailoverMember w1 = witness.members().get(0);
        FailoverMember primary = data.stream().filter(FailoverMember::servingPrimary).findFirst().orElseThrow();
        Await.until("the rejoined witness caught up", PATIENCE,
            () -> w1.cluster().appliedIndex() >= primary.cluster().appliedIndex());
        assertThat(w1.cluster().epoch()).isEqualTo(primary.cluster().epoch());
        // Only a voting witness lets the primary commit without the standby.
        data.stream().filter(m -> m != primary).forEach(FailoverMember::close);
        Await.until("a command committed by the primary and the witness", PATIENCE, () -> {
          try {
            primary.pause();
            return true;
          } catch (NoQuorumException e) {
            return false;
          }
        });
      }
    } finally {
      data.forEach(FailoverMember::close);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}

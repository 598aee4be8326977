package io.ratisfailover.harness.bench;

import io.ratisfailover.FailoverMember;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.MemberId;
import io.ratisfailover.SwitchoverRequest;
import io.ratisfailover.Timing;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.testing.LocalCluster;
import io.ratisfailover.testing.TestPki;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * Scenarios on real Ratis members (two data members with in-memory databases and a witness, in this
 * JVM, over loopback): they measure the failover machinery alone, without PostgreSQL.
 */
final class RaftScenarios {
  private static final Duration PATIENCE = Duration.ofSeconds(60);

  private RaftScenarios() {}

  /** @param raftTls mutual TLS on every Raft connection, with a CA made for each run */
  static List<Scenario> all(Timing timing, boolean raftTls) {
    return List.of(memberCrash(timing, raftTls), switchover(timing, raftTls));
  }

  static LocalCluster cluster(Path dir, Timing timing, boolean raftTls) {
    LocalCluster cluster = LocalCluster.threeMembers("bench", dir, timing);
    if (raftTls) {
      TestPki pki = TestPki.create(dir.resolve("pki"), "bench-ca");
      cluster.raftTls(id -> Optional.of(pki.issue(id.value())));
    }
    return cluster.startAll();
  }

  static Scenario memberCrash(Timing timing, boolean raftTls) {
    return new Scenario() {
      @Override public String name() { return "raft-member-crash"; }

      @Override public String description() {
        return "the primary's member dies abruptly (agent, Raft server and database); time until another member holds the lease and serves";
      }

      @Override public Map<String, Double> run(Path dir) throws Exception {
        try (LocalCluster cluster = cluster(dir, timing, raftTls)) {
          FailoverMember primary = formed(cluster);
          // A real crash strikes anywhere in the renewal cycle, not right after a readiness check.
          LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(timing.loopWait().toNanos()));
          long killed = System.nanoTime();
          cluster.kill(primary.id());
          FailoverMember next = awaitServing(cluster, primary.id());
          long ms = (System.nanoTime() - killed) / 1_000_000;
          return Map.of("new_lease_holder_ms", (double) ms, "epochs_moved", (double) next.local().epoch().value() - 1);
        }
      }
    };
  }

  static Scenario switchover(Timing timing, boolean raftTls) {
    return new Scenario() {
      @Override public String name() { return "raft-switchover"; }

      @Override public String description() {
        return "an operator asks for a switchover; time from the request until the other data member serves";
      }

      @Override public Map<String, Double> run(Path dir) throws Exception {
        try (LocalCluster cluster = cluster(dir, timing, raftTls)) {
          FailoverMember primary = formed(cluster);
          long asked = System.nanoTime();
          cluster.member("w1").switchover(SwitchoverRequest.now(), PATIENCE);
          awaitServing(cluster, primary.id());
          long ms = (System.nanoTime() - asked) / 1_000_000;
          return Map.of("new_lease_holder_ms", (double) ms);
        }
      }
    };
  }

  /** Waits for a serving primary whose promotion is recorded everywhere, with the other data member streaming. */
  static FailoverMember formed(LocalCluster cluster) throws TimeoutException {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<FailoverMember> primary = cluster.servingPrimary();
      if (primary.isPresent()) {
        String standby = primary.get().id().value().equals("pg1") ? "pg2" : "pg1";
        boolean recorded = cluster.members().stream()
            .allMatch(m -> !m.cluster().history().isEmpty() && m.cluster().history().stream().allMatch(HistoryEntry::promoted));
        boolean reported = cluster.members().stream().allMatch(m -> m.cluster().member(MemberId.of(standby))
            .flatMap(v -> v.status()).map(st -> st.state() == DatabaseState.RUNNING_REPLICA).orElse(false));
        if (recorded && reported && cluster.database(standby).state() == DatabaseState.RUNNING_REPLICA) {
          return primary.get();
        }
      }
      LockSupport.parkNanos(5_000_000);
    }
    throw new TimeoutException("the cluster did not form within " + PATIENCE + ": " + cluster.describe());
  }

  /** Polls every millisecond for a serving primary other than {@code previous}. */
  static FailoverMember awaitServing(LocalCluster cluster, MemberId previous) throws TimeoutException {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<FailoverMember> serving = cluster.servingPrimary();
      if (serving.isPresent() && !serving.get().id().equals(previous)) {
        return serving.get();
      }
      LockSupport.parkNanos(1_000_000);
    }
    throw new TimeoutException("no new primary within " + PATIENCE + ": " + cluster.describe());
  }
}

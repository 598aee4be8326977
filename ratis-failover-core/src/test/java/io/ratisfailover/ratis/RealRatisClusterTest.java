package io.ratisfailover.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.ClusterView;
import io.ratisfailover.Epoch;
import io.ratisfailover.FailoverMember;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.LocalRole;
import io.ratisfailover.MemberId;
import io.ratisfailover.Timing;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.LocalCluster;
import io.ratisfailover.testing.RaftPartition;
import io.ratisfailover.testing.SafetyWatch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real members — Raft servers over loopback, agents, arbiters — two data members with
 * in-memory databases and a witness, watched throughout for two serving primaries.
 */
class RealRatisClusterTest {
  static final Duration PATIENCE = Duration.ofSeconds(30);

  @TempDir Path dir;
  LocalCluster cluster;
  SafetyWatch watch;

  @BeforeEach
  void start() {
    cluster = LocalCluster.threeMembers("orders", dir, Timing.defaults()).startAll();
    watch = new SafetyWatch(() -> cluster.members(), cluster.databases());
  }

  @AfterEach
  void stop() throws InterruptedException {
    try {
      watch.close();
      watch.assertSafe();
    } finally {
      cluster.close();
    }
  }

  FailoverMember awaitServingPrimary() {
    return Await.value("a serving primary", PATIENCE, () -> cluster.servingPrimary().orElse(null));
  }

  /** A serving primary, its promotion recorded everywhere, and the other data member streaming from it. */
  FailoverMember awaitFormed() {
    FailoverMember primary = awaitServingPrimary();
    String standby = primary.id().value().equals("pg1") ? "pg2" : "pg1";
    Await.until("a formed cluster", PATIENCE, () -> cluster.database(standby).state() == DatabaseState.RUNNING_REPLICA
        && cluster.members().stream().allMatch(m -> m.cluster().history().stream().allMatch(HistoryEntry::promoted)),
        cluster::describe);
    return primary;
  }

  @Test
  void aDataMemberIsElectedAndTheWitnessNeverServes() {
    FailoverMember primary = awaitServingPrimary();
    assertThat(primary.kind()).isEqualTo(io.ratisfailover.MemberKind.DATA);
    assertThat(primary.local().epoch()).isEqualTo(Epoch.of(1));
    Await.until("every member applied the election", PATIENCE,
        () -> cluster.members().stream().allMatch(m -> m.cluster().primary().equals(primary.cluster().primary())));
    assertThat(cluster.member("w1").local().role()).isEqualTo(LocalRole.WITNESS);
    ClusterView view = cluster.member("w1").cluster();
    assertThat(view.history()).singleElement().satisfies(h -> assertThat(h.cause()).isEqualTo(HistoryEntry.Cause.BOOTSTRAP));
    assertThat(view.raftLeader()).isPresent();
  }

  @Test
  void whenThePrimarysHostDiesTheOtherDataMemberHoldsTheLeaseUnderTheNextEpoch() {
    FailoverMember primary = awaitFormed();
    MemberId dead = primary.id();
    long killed = System.nanoTime();
    cluster.kill(dead);
    FailoverMember next = Await.value("a new serving primary", PATIENCE, () -> cluster.servingPrimary().orElse(null));
    long tookMillis = (System.nanoTime() - killed) / 1_000_000;
    assertThat(next.id()).isNotEqualTo(dead);
    assertThat(next.local().epoch()).isEqualTo(Epoch.of(2));
    assertThat(next.cluster().history()).last().satisfies(h -> assertThat(h.cause()).isEqualTo(HistoryEntry.Cause.LEASE_EXPIRED));
    System.out.println("new lease holder " + tookMillis + " ms after the primary's host died");

    // The old member comes back: it reads the committed state, fences nothing it should not, and follows.
    FailoverMember back = cluster.start(dead);
    Await.until(dead + " following " + next.id(), PATIENCE, () -> back.local().role() == LocalRole.REPLICA
        && cluster.database(dead.value()).state() == DatabaseState.RUNNING_REPLICA, cluster::describe);
    assertThat(back.local().epoch()).isEqualTo(Epoch.of(2));
    assertThat(cluster.servingPrimary()).contains(next);
  }

  @Test
  void allMembersRestartFromTheirLogDirectoriesWithTheStateIntact() {
    awaitFormed();
    cluster.kill(cluster.servingPrimary().orElseThrow().id());
    FailoverMember second = awaitServingPrimary();
    Await.until("the promotion recorded everywhere", PATIENCE, () -> cluster.members().stream()
        .allMatch(m -> m.cluster().history().size() == 2 && m.cluster().history().get(1).promoted()));
    ClusterView before = second.cluster();

    List<String> ids = List.of("pg1", "pg2", "w1");
    cluster.close();
    for (String id : ids) {
      cluster.start(id);
    }
    Await.until("the state replayed on every member", PATIENCE, () -> cluster.members().stream()
        .allMatch(m -> m.cluster().appliedIndex() >= before.appliedIndex()));
    for (FailoverMember m : cluster.members()) {
      ClusterView after = m.cluster();
      assertThat(after.clusterName()).isEqualTo("orders");
      assertThat(after.epoch().value()).isGreaterThanOrEqualTo(before.epoch().value());
      assertThat(after.history().subList(0, 2)).isEqualTo(before.history());
      assertThat(after.members()).extracting(v -> v.id().value()).containsExactly("pg1", "pg2", "w1");
    }
    awaitServingPrimary();
  }

  @Test
  void aPartitionedPrimaryFencesItselfBeforeTheOtherSidePromotes() throws Exception {
    FailoverMember primary = awaitFormed();
    String old = primary.id().value();
    String other = old.equals("pg1") ? "pg2" : "pg1";
    AtomicLong fencedAt = new AtomicLong();
    AtomicLong promotedAt = new AtomicLong();
    try (RaftPartition partition = new RaftPartition()) {
      partition.isolate(primary.id());
      long cut = System.nanoTime();
      Await.until(other + " promoted", PATIENCE, () -> {
        long now = System.nanoTime();
        if (fencedAt.get() == 0 && !cluster.database(old).isWritable()) {
          fencedAt.set(now);
        }
        if (promotedAt.get() == 0 && cluster.database(other).isWritable()) {
          promotedAt.set(now);
        }
        return promotedAt.get() != 0;
      }, cluster::describe);
      assertThat(fencedAt.get()).as("the old primary fenced itself first").isNotZero().isLessThan(promotedAt.get());
      System.out.println("isolated primary fenced " + (fencedAt.get() - cut) / 1_000_000 + " ms after the cut; "
          + other + " promoted " + (promotedAt.get() - cut) / 1_000_000 + " ms after the cut");
      assertThat(primary.servingPrimary()).isFalse();
      partition.heal();
      Await.until(old + " back as a replica", PATIENCE, () -> primary.local().role() == LocalRole.REPLICA
          && cluster.database(old).state() == DatabaseState.RUNNING_REPLICA, cluster::describe);
    }
    assertThat(cluster.member(other).servingPrimary()).isTrue();
  }
}

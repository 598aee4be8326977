package io.ratisfailover.ratis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.ClusterView;
import io.ratisfailover.FailoverException;
import io.ratisfailover.FailoverMember;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberView;
import io.ratisfailover.Timing;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.LocalCluster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member whose Raft storage was lost (wiped, or restored from an older copy) must not vote as
 * the member it was: it may have acknowledged entries it no longer holds, and its vote could then
 * elect a candidate that lacks committed entries (review finding B7). It refuses to start until
 * the operator re-adds it, and the re-added member catches up before it counts as a voter again.
 */
class StorageLossTest {
  static final Duration PATIENCE = Duration.ofSeconds(30);

  @TempDir Path dir;
  LocalCluster cluster;

  @BeforeEach
  void start() {
    cluster = LocalCluster.threeMembers("orders", dir, Timing.defaults()).startAll();
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void aWitnessWhoseStorageWasWipedRefusesToStartAndTheClusterKeepsItsState() {
    FailoverMember primary = awaitFormedWithWitnessCaughtUp();
    ClusterView before = primary.cluster();

    cluster.kill(MemberId.of("w1"));
    deleteTree(cluster.storage("w1"));

    assertThatThrownBy(() -> cluster.start("w1")).isInstanceOf(FailoverException.class)
        .hasMessageContaining("w1").hasMessageContaining("--rejoin").satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    assertKeepsItsPrimaryAndState(primary, before);
  }

  @Test
  void aWitnessRestoredFromAnOlderCopyOfItsStorageRefusesToStart() throws IOException {
    FailoverMember primary = awaitFormedWithWitnessCaughtUp();
    Path backup = backUpW1AndAdvancePastIt(primary);
    ClusterView before = primary.cluster();
    restoreBackup(backup);

    assertThatThrownBy(() -> cluster.start("w1")).isInstanceOf(FailoverException.class)
        .hasMessageContaining("older").hasMessageContaining("--rejoin");
    assertKeepsItsPrimaryAndState(primary, before);
  }

  /**
   * The peers' Raft servers remember w1's commit index in memory only, and a new Raft leader has
   * none (CI: the standby lost Raft leadership under load, and the older copy started). The
   * replicated state remembers how far w1 said it had applied.
   */
  @Test
  void anOlderCopyIsRefusedEvenAfterEveryOtherMemberRestarted() throws IOException {
    FailoverMember primary = awaitFormedWithWitnessCaughtUp();
    Path backup = backUpW1AndAdvancePastIt(primary);
    restoreBackup(backup);
    restartBothDataMembers(primary);

    assertThatThrownBy(() -> cluster.start("w1")).isInstanceOf(FailoverException.class)
        .hasMessageContaining("older").hasMessageContaining("w1 reported").hasMessageContaining("--rejoin");
  }

  /** Commit indexes are remembered in memory only; the replicated state remembers that w1 once reported. */
  @Test
  void aWipedWitnessIsRefusedEvenAfterEveryOtherMemberRestarted() {
    FailoverMember primary = awaitFormedWithWitnessCaughtUp();
    cluster.kill(MemberId.of("w1"));
    deleteTree(cluster.storage("w1"));
    restartBothDataMembers(primary);

    assertThatThrownBy(() -> cluster.start("w1")).isInstanceOf(FailoverException.class)
        .hasMessageContaining("empty").hasMessageContaining("report from w1").hasMessageContaining("--rejoin");
  }

  @Test
  void aMemberThatWasMerelyDownWhileTheClusterMovedOnStartsAsUsual() {
    FailoverMember primary = awaitFormedWithWitnessCaughtUp();
    cluster.kill(MemberId.of("w1"));
    commitSome(primary, 20);

    FailoverMember w1 = cluster.start("w1");
    Await.until("w1 caught up", PATIENCE, () -> w1.cluster().appliedIndex() >= primary.cluster().appliedIndex(),
        cluster::describe);
  }

  @Test
  void aRejoiningWitnessCatchesUpAndVotesAgain() {
    FailoverMember primary = awaitFormedWithWitnessCaughtUp();
    cluster.kill(MemberId.of("w1"));
    deleteTree(cluster.storage("w1"));
    assertThatThrownBy(() -> cluster.start("w1")).isInstanceOf(FailoverException.class);

    FailoverMember w1 = cluster.rejoin("w1");
    ClusterView leader = primary.cluster();
    Await.until("w1 caught up", PATIENCE, () -> w1.cluster().appliedIndex() >= leader.appliedIndex(), cluster::describe);
    assertThat(w1.cluster().history()).startsWith(leader.history().toArray(HistoryEntry[]::new));
    assertThat(w1.cluster().epoch()).isEqualTo(leader.epoch());

    // With the standby gone, nothing commits unless w1 is a voter again.
    String standby = primary.id().value().equals("pg1") ? "pg2" : "pg1";
    cluster.kill(MemberId.of(standby));
    primary.pause();
    primary.resume();
    assertThat(primary.servingPrimary()).isTrue();

    // And a plain restart afterwards is not mistaken for a loss.
    cluster.kill(MemberId.of("w1"));
    FailoverMember again = cluster.start("w1");
    Await.until("w1 caught up after a plain restart", PATIENCE,
        () -> again.cluster().appliedIndex() >= primary.cluster().appliedIndex(), cluster::describe);
  }

  /** A rejoin started while the others have no leader waits for one (chaos seed 386784 gave up after 7 s). */
  @Test
  void aRejoinWaitsForTheOthersToElectALeader() throws Exception {
    FailoverMember primary = awaitFormedWithWitnessCaughtUp();
    String standby = primary.id().value().equals("pg1") ? "pg2" : "pg1";
    cluster.kill(MemberId.of("w1"));
    deleteTree(cluster.storage("w1"));
    cluster.kill(MemberId.of(standby));

    CompletableFuture<FailoverMember> rejoined = CompletableFuture.supplyAsync(() -> cluster.rejoin("w1"));
    long end = System.nanoTime() + Duration.ofSeconds(8).toNanos();
    while (System.nanoTime() < end) {
      assertThat(rejoined).as("the rejoin, without a leader to re-add it").isNotDone();
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
    }
    cluster.start(standby);
    FailoverMember w1 = rejoined.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    Await.until("w1 caught up", PATIENCE,
        () -> w1.cluster().appliedIndex() >= cluster.member(standby).cluster().appliedIndex(), cluster::describe);
  }

  /** A formed cluster whose witness holds (and has acknowledged) everything committed so far. */
  private FailoverMember awaitFormedWithWitnessCaughtUp() {
    FailoverMember primary = Await.value("a serving primary", PATIENCE, () -> cluster.servingPrimary().orElse(null));
    String standby = primary.id().value().equals("pg1") ? "pg2" : "pg1";
    Await.until("a formed cluster", PATIENCE, () -> cluster.database(standby).state() == DatabaseState.RUNNING_REPLICA
        && cluster.members().stream().allMatch(m -> m.cluster().history().stream().allMatch(HistoryEntry::promoted)),
        cluster::describe);
    // The primary hands Raft leadership away from its host; commands sent during the hand-over fail.
    Await.until("Raft leadership away from the primary", PATIENCE, () -> cluster.members().stream()
        .allMatch(m -> m.cluster().raftLeader().filter(l -> !l.equals(primary.id())).isPresent()), cluster::describe);
    commitSome(primary, 10);
    Await.until("w1 caught up", PATIENCE,
        () -> cluster.member("w1").cluster().appliedIndex() >= primary.cluster().appliedIndex(), cluster::describe);
    // A witness reports every ttl: until one report has applied, the state has never heard from w1.
    Await.until("a report from w1 applied", PATIENCE,
        () -> primary.cluster().member(MemberId.of("w1")).flatMap(MemberView::statusAge).isPresent(), cluster::describe);
    return primary;
  }

  /** Restarts the standby, then the primary: no Raft server remembers w1's commit index any more. */
  private void restartBothDataMembers(FailoverMember primary) {
    String standby = primary.id().value().equals("pg1") ? "pg2" : "pg1";
    cluster.kill(MemberId.of(standby));
    cluster.start(standby);
    cluster.kill(primary.id());
    FailoverMember restarted = cluster.start(primary.id());
    Await.until("the data members lead the group again", PATIENCE,
        () -> restarted.cluster().raftLeader().isPresent() && restarted.cluster().primary().isPresent(), cluster::describe);
  }

  /**
   * Stops w1 and copies its storage; restarts it, commits past what the copy holds, and waits until
   * the cluster has applied a report w1 sent after catching up; stops w1 again.
   */
  private Path backUpW1AndAdvancePastIt(FailoverMember primary) throws IOException {
    cluster.kill(MemberId.of("w1"));
    Path backup = dir.resolve("w1-backup");
    copyTree(cluster.storage("w1"), backup);
    FailoverMember w1 = cluster.start("w1");
    commitSome(primary, 20);
    Await.until("w1 caught up again", PATIENCE, () -> w1.cluster().appliedIndex() >= primary.cluster().appliedIndex(),
        cluster::describe);
    long caughtUp = System.nanoTime();
    Await.until("a report w1 sent after catching up", PATIENCE, () -> primary.cluster().member(MemberId.of("w1"))
        .flatMap(MemberView::statusAge).filter(age -> age.toNanos() < System.nanoTime() - caughtUp).isPresent(),
        cluster::describe);
    cluster.kill(MemberId.of("w1"));
    return backup;
  }

  private void restoreBackup(Path backup) throws IOException {
    deleteTree(cluster.storage("w1"));
    copyTree(backup, cluster.storage("w1"));
  }

  private void assertKeepsItsPrimaryAndState(FailoverMember primary, ClusterView before) {
    commitSome(primary, 4);
    assertThat(primary.servingPrimary()).isTrue();
    ClusterView after = primary.cluster();
    assertThat(after.epoch()).isEqualTo(before.epoch());
    assertThat(after.history()).isEqualTo(before.history());
    assertThat(after.appliedIndex()).isGreaterThan(before.appliedIndex());
  }

  /**
   * Operator commands: each one is committed by a majority before it returns, also while Raft
   * leadership moves (a returning witness takes it back).
   */
  private static void commitSome(FailoverMember primary, int commands) {
    for (int i = 0; i <= commands; i++) {
      if (i % 2 == 0 && i < commands) {
        primary.pause();
      } else {
        primary.resume();
      }
    }
  }

  static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : files.toList()) {
        Files.copy(p, to.resolve(from.relativize(p).toString()));
      }
    }
  }
}

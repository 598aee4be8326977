package io.ratisfailover.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.ClusterView;
import io.ratisfailover.FailoverMember;
import io.ratisfailover.LocalRole;
import io.ratisfailover.Timing;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.LocalCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots on real Ratis: taken automatically, old ones pruned, and a follower that fell behind
 * the purged log catches up by installing the leader's snapshot (Ratis pauses and reinitializes
 * the state machine for that: the path that closes a follower for good when left unimplemented).
 */
class SnapshotTest {
  static final Duration PATIENCE = Duration.ofSeconds(60);

  @TempDir Path dir;

  @Test
  void aFollowerBehindThePurgedLogInstallsTheLeadersSnapshot() throws IOException {
    try (LocalCluster cluster = LocalCluster.threeMembers("orders", dir, Timing.defaults()).snapshotEvery(50).startAll()) {
      Await.until("a serving primary", PATIENCE, () -> cluster.servingPrimary().isPresent(), cluster::describe);
      FailoverMember primary = cluster.servingPrimary().orElseThrow();
      String standby = primary.id().value().equals("pg1") ? "pg2" : "pg1";
      Await.until(standby + " streaming", PATIENCE,
          () -> cluster.database(standby).state() == DatabaseState.RUNNING_REPLICA, cluster::describe);

      cluster.kill(io.ratisfailover.MemberId.of(standby));
      long start = primary.cluster().appliedIndex();
      // Reports and renewals keep the log growing; operator commands add more.
      for (int i = 0; i < 600; i++) {
        if (i % 2 == 0) {
          primary.pause();
        } else {
          primary.resume();
        }
      }
      Await.until("the log moved well past several segments", PATIENCE, () -> primary.cluster().appliedIndex() > start + 600);
      // Ratis writes a new snapshot before it deletes the oldest, so three files exist for a
      // moment: wait for a recent snapshot with the old ones pruned instead of sampling once.
      Path primaryStorage = cluster.storage(primary.id().value());
      Await.until("a snapshot past the missed entries, old ones pruned", PATIENCE,
          () -> latestSnapshotIndex(primaryStorage) > start + 300 && snapshotCount(primaryStorage) <= 2,
          () -> snapshotCount(primaryStorage) + " snapshot files, latest at " + latestSnapshotIndex(primaryStorage));

      Await.until("the primary purged the entries " + standby + " missed", PATIENCE,
          () -> firstLogIndex(cluster.storage(primary.id().value())) > start + 1);
      FailoverMember back = cluster.start(standby);
      ClusterView leader = primary.cluster();
      Await.until(standby + " caught up", PATIENCE, () -> back.cluster().appliedIndex() >= leader.appliedIndex(),
          cluster::describe);
      ClusterView caughtUp = back.cluster();
      assertThat(caughtUp.epoch()).isEqualTo(leader.epoch());
      assertThat(caughtUp.history()).isEqualTo(leader.history());
      assertThat(caughtUp.paused()).isFalse();
      Await.until(standby + " following again", PATIENCE, () -> back.local().role() == LocalRole.REPLICA
          && cluster.database(standby).state() == DatabaseState.RUNNING_REPLICA, cluster::describe);
      assertThat(primary.servingPrimary()).isTrue();
    }
  }

  /** The first index still in a member's Raft log, from its segment file names. */
  static long firstLogIndex(Path storage) {
    java.util.regex.Pattern segment = java.util.regex.Pattern.compile("log_(?:inprogress_)?(\\d+)(?:-\\d+)?");
    return fileNames(storage).stream().map(segment::matcher).filter(java.util.regex.Matcher::matches)
        .mapToLong(m -> Long.parseLong(m.group(1))).min().orElse(0);
  }

  /** Snapshot files (without their md5 companions) anywhere under a member's storage directory. */
  static long snapshotCount(Path storage) {
    return snapshotIndexes(storage).count();
  }

  /** The log index of the newest snapshot file, or 0 without one. */
  static long latestSnapshotIndex(Path storage) {
    return snapshotIndexes(storage).max().orElse(0);
  }

  private static java.util.stream.LongStream snapshotIndexes(Path storage) {
    java.util.regex.Pattern snapshot = java.util.regex.Pattern.compile("snapshot\\.\\d+_(\\d+)");
    return fileNames(storage).stream().map(snapshot::matcher).filter(java.util.regex.Matcher::matches)
        .mapToLong(m -> Long.parseLong(m.group(1)));
  }

  /**
   * The names of the files under a member's storage. Ratis deletes segments and snapshots while
   * the walk runs, and a file gone between listing and reading fails the walk: walk again then.
   */
  private static java.util.List<String> fileNames(Path storage) {
    for (int attempt = 1; ; attempt++) {
      try (Stream<Path> files = Files.walk(storage)) {
        return files.map(p -> p.getFileName().toString()).toList();
      } catch (IOException | java.io.UncheckedIOException e) {
        if (attempt == 5) {
          throw new IllegalStateException("cannot list " + storage, e);
        }
      }
    }
  }
}

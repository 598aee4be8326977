package io.ratisfailover.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.FailoverMember;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberView;
import io.ratisfailover.RaftLeaderPreference;
import io.ratisfailover.SwitchoverRequest;
import io.ratisfailover.Timing;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.LocalCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where Raft leadership (and with it the arbiter) settles on real Ratis (issue 14, item 4): on the
 * standby by default, so that a witness shared by many clusters leads none of them and can stop
 * without any cluster electing; on the witness when configured as before.
 */
class LeaderPlacementTest {
  static final Duration PATIENCE = Duration.ofSeconds(30);

  @TempDir Path dir;
  LocalCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  void start(RaftLeaderPreference preference) {
    cluster = LocalCluster.threeMembers("orders", dir, Timing.defaults());
    for (String id : new String[] {"pg1", "pg2", "w1"}) {
      cluster.start(id, b -> b.raftLeaderPreference(preference));
    }
  }

  /**
   * A serving primary whose promotion every member recorded, with the other data member streaming
   * and every member having applied its report of that (else a switchover to it is refused).
   */
  FailoverMember formed() {
    FailoverMember primary = Await.value("a serving primary", PATIENCE, () -> cluster.servingPrimary().orElse(null));
    MemberId standby = MemberId.of(standbyOf(primary));
    Await.until("a formed cluster", PATIENCE, () -> cluster.database(standby.value()).state() == DatabaseState.RUNNING_REPLICA
        && cluster.members().stream().allMatch(m -> !m.cluster().history().isEmpty()
            && m.cluster().history().stream().allMatch(HistoryEntry::promoted)
            && m.cluster().member(standby).flatMap(MemberView::status)
                .filter(s -> s.state() == DatabaseState.RUNNING_REPLICA).isPresent()), cluster::describe);
    return primary;
  }

  static String standbyOf(FailoverMember primary) {
    return primary.id().value().equals("pg1") ? "pg2" : "pg1";
  }

  void awaitLeader(String id) {
    Await.until(id + " leading Raft as every member sees it", PATIENCE, () -> cluster.members().stream()
        .allMatch(m -> m.cluster().raftLeader().equals(Optional.of(MemberId.of(id)))), cluster::describe);
  }

  /** A formed cluster under the default preference, its standby leading; the primary. */
  FailoverMember formedWithTheStandbyLeading() {
    start(RaftLeaderPreference.STANDBY);
    FailoverMember primary = formed();
    awaitLeader(standbyOf(primary));
    return primary;
  }

  @Test
  void theStandbyLeadsAndTheWitnessStopsWithoutAnElection() {
    FailoverMember primary = formedWithTheStandbyLeading();
    String standby = standbyOf(primary);
    long term = primary.cluster().raftTerm();
    long applied = primary.cluster().appliedIndex();

    cluster.kill(MemberId.of("w1"));
    // Six more entries (renewals every loop_wait) span several election timeouts.
    Await.until("six more entries applied on the primary", PATIENCE, () -> primary.cluster().appliedIndex() >= applied + 6);
    assertThat(primary.cluster().raftTerm()).as("no Raft election after the witness stopped").isEqualTo(term);
    assertThat(primary.cluster().raftLeader()).contains(MemberId.of(standby));
    assertThat(cluster.servingPrimary()).contains(primary);
  }

  @Test
  void aSwitchoverToTheLeadingStandbyHandsLeadershipToTheOldPrimaryOncePromoted() {
    FailoverMember primary = formedWithTheStandbyLeading();
    String standby = standbyOf(primary);

    cluster.member(standby).switchover(SwitchoverRequest.now(), PATIENCE);
    Await.until(standby + " serving", PATIENCE, () -> cluster.member(standby).servingPrimary(), cluster::describe);
    awaitLeader(primary.id().value());
  }

  @Test
  void configuredAsBeforeTheWitnessLeads() {
    start(RaftLeaderPreference.WITNESS);
    formed();
    awaitLeader("w1");
  }
}

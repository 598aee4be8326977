package io.ratisfailover.internal.control;

import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.internal.control.Agent.Action;
import io.ratisfailover.internal.control.Agent.Input;
import io.ratisfailover.internal.control.Agent.Operation;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.MemberRecord;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.PrimaryTopology;
import io.ratisfailover.spi.ReplicaInfo;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Keeps the recorded synchronous standbys a subset of the standbys that confirm every commit
 * (docs/design.md §4.7). Part of the primary's decision; as pure as it.
 */
final class SynchronousStandbys {
  private SynchronousStandbys() {}

  /**
   * What the primary does next about its synchronous standbys: shrink the record before the
   * database's setting, grow the setting before the record.
   */
  static List<Action> actions(Input in, DatabaseStatus db) {
    ClusterState s = in.state();
    if (s.settings().synchronousMode() == SynchronousMode.QUORUM) {
      return QuorumStandbys.actions(in, db);
    }
    Set<MemberId> recorded = s.synchronousStandbys();
    if (s.synchronousQuorumRecorded() || in.unconfirmedSync().stream().anyMatch(r -> !r.equals(SyncRecord.all(r.members())))) {
      // Back from quorum commit: a quorum record says nothing about any one member; start afresh.
      return List.of(new Action.Submit(new Command.SetSynchronous(s.epoch(), Set.of())));
    }
    Set<MemberId> wanted = desired(s, in.self(), db);
    // A record we sent may still apply (its answer was lost): narrowing the database's setting before
    // a newer, smaller record applied could leave a member recorded that no longer confirms commits.
    Set<MemberId> mayBeRecorded = new TreeSet<>(recorded);
    in.unconfirmedSync().forEach(r -> mayBeRecorded.addAll(r.members()));
    if (!wanted.containsAll(mayBeRecorded)) {
      Set<MemberId> keep = recorded.stream().filter(wanted::contains).collect(Collectors.toUnmodifiableSet());
      return List.of(new Action.Submit(new Command.SetSynchronous(s.epoch(), keep)));
    }
    PrimaryTopology topology = Agent.topology(s, in.self(), wanted);
    boolean configured = db.synchronousStandbys().equals(wanted) && in.configured().filter(topology::equals).isPresent();
    if (!configured) {
      return List.of(new Action.Operate(new Operation.ConfigurePrimary(topology)));
    }
    Set<MemberId> confirmed = new TreeSet<>(recorded);
    for (ReplicaInfo r : db.replicas()) {
      Lsn barrier = in.syncBarriers().get(r.member());
      if (wanted.contains(r.member()) && r.syncState().confirmsCommits() && barrier != null
          && !r.flushLsn().isBefore(barrier)) {
        confirmed.add(r.member());
      }
    }
    if (!confirmed.equals(recorded)) {
      return List.of(new Action.Submit(new Command.SetSynchronous(s.epoch(), confirmed)));
    }
    return List.of();
  }

  /** Up to {@code synchronous_node_count} streaming standbys, keeping the recorded ones first. */
  static Set<MemberId> desired(ClusterState s, MemberId self, DatabaseStatus db) {
    if (s.settings().synchronousMode() == SynchronousMode.OFF) {
      return Set.of();
    }
    Set<MemberId> wanted = new LinkedHashSet<>();
    for (ReplicaInfo r : usable(s, self, db)) {
      if (wanted.size() < s.settings().synchronousNodeCount()) {
        wanted.add(r.member());
      }
    }
    return Set.copyOf(wanted);
  }

  /** Streaming standbys of data members not tagged nosync: the recorded ones first, then the most advanced. */
  static List<ReplicaInfo> usable(ClusterState s, MemberId self, DatabaseStatus db) {
    return db.replicas().stream()
        .filter(ReplicaInfo::streaming)
        .filter(r -> !r.member().equals(self))
        .filter(r -> s.member(r.member()).filter(MemberRecord::isData).filter(m -> !m.tags().noSync()).isPresent())
        .sorted(Comparator.comparing((ReplicaInfo r) -> !s.synchronousStandbys().contains(r.member()))
            .thenComparing(ReplicaInfo::flushLsn, Comparator.reverseOrder())
            .thenComparing(ReplicaInfo::member))
        .toList();
  }
}

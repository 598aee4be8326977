package io.ratisfailover.internal.control;

import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.internal.control.Agent.Action;
import io.ratisfailover.internal.control.Agent.Input;
import io.ratisfailover.internal.control.Agent.Operation;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.PrimaryTopology;
import io.ratisfailover.spi.ReplicaInfo;
import java.util.List;
import java.util.Set;

/**
 * The primary's synchronous standbys under quorum commit ({@code synchronous_mode: quorum},
 * docs/design.md §4.7): PostgreSQL waits for any {@code n} of every healthy standby
 * ({@code ANY n (...)}), and the replicated record says on how many of which standbys each
 * acknowledged commit is. The record must stay true, so the order is: the record first when it
 * says less (a member joins the set, the quorum shrinks), the database's setting first when the
 * record will say more (a member leaves, the quorum grows) — and then the record only once enough
 * of the set have flushed past where the primary's WAL was when the setting took effect. Part of
 * the primary's decision; as pure as it.
 */
final class QuorumStandbys {
  private QuorumStandbys() {}

  static List<Action> actions(Input in, DatabaseStatus db) {
    ClusterState s = in.state();
    SyncRecord recorded = SyncRecord.of(s);
    SyncRecord wanted = wanted(s, in.self(), db);
    // Every record that is, or may still become, the record must stay true under the new setting:
    // until then record what both the present record and the new setting make true.
    boolean settingWouldFalsify = !wanted.implies(recorded) || in.unconfirmedSync().stream().anyMatch(r -> !wanted.implies(r));
    if (settingWouldFalsify) {
      return List.of(record(s, SyncRecord.strongestImpliedByBoth(recorded, wanted)));
    }
    PrimaryTopology topology = Agent.topology(s, in.self(), wanted.members(), wanted.quorum());
    boolean configured = db.synchronousStandbys().equals(wanted.members()) && in.configured().filter(topology::equals).isPresent();
    if (!configured) {
      return List.of(new Action.Operate(new Operation.ConfigurePrimary(topology)));
    }
    if (recorded.equals(wanted)) {
      return List.of();
    }
    if (recorded.implies(wanted) || flushedPastBarrier(in, db, wanted.members()) >= wanted.quorum()) {
      return List.of(record(s, wanted));
    }
    return List.of();
  }

  /** Every streaming standby that may be synchronous; commits wait for {@code synchronous_node_count} of them, or all if fewer. */
  static SyncRecord wanted(ClusterState s, MemberId self, DatabaseStatus db) {
    Set<MemberId> members = SynchronousStandbys.usable(s, self, db).stream().map(ReplicaInfo::member)
        .collect(java.util.stream.Collectors.toUnmodifiableSet());
    return new SyncRecord(members, Math.min(s.settings().synchronousNodeCount(), members.size()));
  }

  /** How many of {@code members} confirm commits and have flushed past the WAL position of their barrier. */
  private static int flushedPastBarrier(Input in, DatabaseStatus db, Set<MemberId> members) {
    int n = 0;
    for (ReplicaInfo r : db.replicas()) {
      Lsn barrier = in.syncBarriers().get(r.member());
      if (members.contains(r.member()) && r.syncState().confirmsCommits() && barrier != null
          && !r.flushLsn().isBefore(barrier)) {
        n++;
      }
    }
    return n;
  }

  private static Action record(ClusterState s, SyncRecord record) {
    return new Action.Submit(new Command.SetSynchronous(s.epoch(), record.members(), record.quorum()));
  }
}

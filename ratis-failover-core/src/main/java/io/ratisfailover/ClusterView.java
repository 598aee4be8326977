package io.ratisfailover;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The cluster as this member last applied it: a consistent, immutable picture.
 *
 * @param initialized false until the first member bootstrapped the cluster state
 * @param synchronousStandbys members recorded as holding every acknowledged commit
 * @param raftLeader the member leading the Raft group (and running the arbiter), if known
 * @param appliedIndex the last Raft log index this member applied
 */
public record ClusterView(String clusterName, boolean initialized, Epoch epoch, Optional<MemberId> primary,
    boolean paused, ClusterSettings settings, Set<MemberId> synchronousStandbys,
    Optional<PendingSwitchover> switchover, List<MemberView> members, List<HistoryEntry> history,
    Optional<MemberId> raftLeader, long raftTerm, long appliedIndex) {
  public ClusterView {
    Objects.requireNonNull(clusterName, "clusterName");
    Objects.requireNonNull(epoch, "epoch");
    Objects.requireNonNull(primary, "primary");
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(switchover, "switchover");
    Objects.requireNonNull(raftLeader, "raftLeader");
    synchronousStandbys = Set.copyOf(synchronousStandbys);
    members = List.copyOf(members);
    history = List.copyOf(history);
  }

  public Optional<MemberView> member(MemberId id) {
    return members.stream().filter(m -> m.id().equals(id)).findFirst();
  }
}

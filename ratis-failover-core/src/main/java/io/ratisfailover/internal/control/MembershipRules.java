package io.ratisfailover.internal.control;

import io.ratisfailover.MemberId;
import io.ratisfailover.Peer;
import io.ratisfailover.internal.state.ClusterState;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * When a membership change is safe (docs/design.md, "Changing membership"): the group must keep
 * enough voters to elect after losing one, and the voters that will decide the new configuration
 * must be answering, or the change could never commit and would hold up the group. The state
 * machine checks the rest again in log order (never the primary, never a member that may hold the
 * only copy of acknowledged writes).
 */
public final class MembershipRules {
  /** Fewer voters than this cannot elect after losing one: two voters need both. */
  public static final int MIN_VOTERS = 3;

  private MembershipRules() {}

  /**
   * Why removing {@code member} is refused, or empty when it may go.
   *
   * @param voters the group's voters now
   * @param answering members heard from lately (this member included)
   */
  public static Optional<String> removal(MemberId member, List<MemberId> voters, Set<MemberId> answering,
      ClusterState state) {
    boolean voter = voters.contains(member);
    if (!voter && state.member(member).isEmpty()) {
      return Optional.of("member " + member + " is not in cluster " + state.clusterName() + " (voters " + voters + ")");
    }
    if (state.primary().filter(member::equals).isPresent()) {
      return Optional.of(member + " is the primary; switch over to another member first (rfctl switchover)");
    }
    if (!voter) {
      return Optional.empty(); // only its record is left: a removal that Raft already finished
    }
    List<MemberId> remaining = voters.stream().filter(v -> !v.equals(member)).toList();
    if (remaining.size() < MIN_VOTERS) {
      return Optional.of("removing " + member + " would leave " + remaining.size() + " voters " + remaining
          + ": a group needs at least " + MIN_VOTERS + " to elect after losing one; add a member first (rfctl replace)");
    }
    return quorumRefusal("removing " + member, remaining, answering);
  }

  /** Why adding {@code peer} is refused, or empty when it may be added. */
  public static Optional<String> addition(Peer peer, List<MemberId> voters, Set<MemberId> answering, ClusterState state) {
    if (voters.contains(peer.id()) && state.member(peer.id()).filter(m -> m.peer().equals(peer)).isPresent()) {
      return Optional.of("member " + peer.id() + " is already in cluster " + state.clusterName());
    }
    // The new member counts as answering: Ratis commits the change only once it has caught up.
    List<MemberId> next = new java.util.ArrayList<>(voters);
    if (!next.contains(peer.id())) {
      next.add(peer.id());
    }
    Set<MemberId> withNew = new java.util.HashSet<>(answering);
    withNew.add(peer.id());
    return quorumRefusal("adding " + peer.id(), next, withNew);
  }

  private static Optional<String> quorumRefusal(String what, List<MemberId> next, Set<MemberId> answering) {
    List<MemberId> up = next.stream().filter(answering::contains).toList();
    int majority = next.size() / 2 + 1;
    if (up.size() >= majority) {
      return Optional.empty();
    }
    return Optional.of(what + " needs " + majority + " of the voters " + next + " answering, but only " + up
        + " reported lately: the new configuration could not be committed; bring the others back first");
  }
}

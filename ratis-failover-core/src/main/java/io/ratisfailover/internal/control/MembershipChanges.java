package io.ratisfailover.internal.control;

import io.ratisfailover.AdminRejectedException;
import io.ratisfailover.MemberId;
import io.ratisfailover.Peer;
import io.ratisfailover.Ticker;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Command;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds, removes and replaces members (docs/design.md, "Changing membership"), each change in two
 * steps in a fixed order, so that every state in between is safe:
 * <ul>
 *   <li>add: the member's record first (a signed command through the log, so it is known when it
 *       votes and reports), then its vote (Raft reconfiguration, which brings it up to date first);
 *   <li>remove: the record first (from then on it is never a candidate, its requests are refused and
 *       its own agent stops), then its vote.
 * </ul>
 * A fault between the two steps leaves a record without a vote or a vote without a record, both
 * harmless; repeating the request finishes the change, since both steps are no-ops when done.
 */
public final class MembershipChanges {
  private static final Logger log = LoggerFactory.getLogger(MembershipChanges.class);

  private final MemberId self;
  private final Supplier<LocalSnapshot> snapshot;
  private final AdminGate gate;
  private final RaftVoters voters;
  private final Timing timing;
  private final Ticker ticker;

  public MembershipChanges(MemberId self, Supplier<LocalSnapshot> snapshot, AdminGate gate, RaftVoters voters,
      Timing timing, Ticker ticker) {
    this.self = self;
    this.snapshot = snapshot;
    this.gate = gate;
    this.voters = voters;
    this.timing = timing;
    this.ticker = ticker;
  }

  /**
   * Adds {@code peer}. Its process should be running (it waits outside the group until added); the
   * vote is counted only once the leader has brought it up to date.
   *
   * @param wait how long one attempt of the Raft change may wait for the new member to catch up
   * @return the voters afterwards
   */
  public List<MemberId> add(Peer peer, Duration wait) {
    LocalSnapshot s = snapshot.get();
    ClusterState state = requireInitialized(s);
    List<MemberId> now = voters.voters();
    MembershipRules.addition(peer, now, answering(s), state).ifPresent(why -> {
      // Already there is a conflict with the request (409); too few voters answering, a precondition (412).
      boolean already = now.contains(peer.id()) && state.member(peer.id()).isPresent();
      throw new AdminRejectedException(already ? AdminRejectedException.Reason.CONFLICT
          : AdminRejectedException.Reason.NOT_ELIGIBLE, why);
    });
    log.info("member {} epoch {}: adding {} member {} at {}", self, state.epoch(), peer.kind(), peer.id(),
        peer.raftAddress());
    gate.submit(new Command.AddMember(peer));
    voters.addVoter(peer, wait);
    return voters.voters();
  }

  /**
   * Removes {@code member}: refused for the primary, for a member that is not in the cluster, and
   * when the voters left could not elect after losing one or could not commit the change.
   *
   * @return the voters afterwards
   */
  public List<MemberId> remove(MemberId member, Duration wait) {
    return remove(member, wait, Set.of());
  }

  /** @param justAdded members whose addition Raft just committed: caught up, though not heard from yet */
  private List<MemberId> remove(MemberId member, Duration wait, Set<MemberId> justAdded) {
    LocalSnapshot s = snapshot.get();
    ClusterState state = requireInitialized(s);
    Set<MemberId> answering = answering(s);
    answering.addAll(justAdded);
    Optional<String> refusal = MembershipRules.removal(member, voters.voters(), answering, state);
    if (refusal.isPresent()) {
      boolean unknown = !voters.voters().contains(member) && state.member(member).isEmpty();
      throw new AdminRejectedException(unknown ? AdminRejectedException.Reason.UNKNOWN_MEMBER
          : AdminRejectedException.Reason.NOT_ELIGIBLE, refusal.get());
    }
    log.info("member {} epoch {}: removing member {}", self, state.epoch(), member);
    if (state.member(member).isPresent()) {
      gate.submit(new Command.RemoveMember(member));
    }
    voters.removeVoter(member, wait);
    return voters.voters();
  }

  /**
   * Adds {@code replacement}, then removes {@code old}: the group never has fewer voters than before.
   * The removal's refusals are checked before anything changes.
   */
  public List<MemberId> replace(MemberId old, Peer replacement, Duration wait) {
    LocalSnapshot s = snapshot.get();
    ClusterState state = requireInitialized(s);
    if (old.equals(replacement.id())) {
      throw new AdminRejectedException(AdminRejectedException.Reason.INVALID,
          "a replacement needs a new member id; " + old + " would replace itself");
    }
    Set<MemberId> answering = answering(s);
    answering.add(replacement.id());
    List<MemberId> after = new java.util.ArrayList<>(voters.voters());
    after.add(replacement.id());
    MembershipRules.removal(old, after, answering, state).ifPresent(why -> {
      throw new AdminRejectedException(state.member(old).isEmpty() ? AdminRejectedException.Reason.UNKNOWN_MEMBER
          : AdminRejectedException.Reason.NOT_ELIGIBLE, why);
    });
    add(replacement, wait);
    return remove(old, wait, Set.of(replacement.id()));
  }

  private static ClusterState requireInitialized(LocalSnapshot s) {
    if (!s.state().initialized()) {
      throw new AdminRejectedException(AdminRejectedException.Reason.NO_CANDIDATE, "the cluster is not bootstrapped yet");
    }
    return s.state();
  }

  /**
   * Members whose last report this member applied within two ttls, and this member. A witness
   * reports once a ttl: within one ttl it would flicker in and out between its reports.
   */
  private Set<MemberId> answering(LocalSnapshot s) {
    long now = ticker.nanoTime();
    Set<MemberId> up = new HashSet<>();
    s.reports().forEach((member, report) -> {
      if (Ticks.before(now, Ticks.plus(report.appliedAt(), timing.ttl().multipliedBy(2)))) {
        up.add(member);
      }
    });
    up.add(self);
    return up;
  }
}

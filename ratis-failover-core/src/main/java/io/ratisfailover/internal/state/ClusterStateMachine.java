package io.ratisfailover.internal.state;

import io.ratisfailover.Epoch;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.PendingSwitchover;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.Peer;
import io.ratisfailover.internal.state.Command.AddMember;
import io.ratisfailover.internal.state.Command.Bootstrap;
import io.ratisfailover.internal.state.Command.RemoveMember;
import io.ratisfailover.internal.state.Command.CancelSwitchover;
import io.ratisfailover.internal.state.Command.Elect;
import io.ratisfailover.internal.state.Command.RecordPromotion;
import io.ratisfailover.internal.state.Command.Release;
import io.ratisfailover.internal.state.Command.Renew;
import io.ratisfailover.internal.state.Command.ReportStatus;
import io.ratisfailover.internal.state.Command.RequestSwitchover;
import io.ratisfailover.internal.state.Command.SetPause;
import io.ratisfailover.internal.state.Command.SetSynchronous;
import io.ratisfailover.internal.state.Command.UpdateSettings;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The rules of the replicated state. Every safety check that must hold whatever order commands
 * arrive in lives here: who sent a command (signatures), stale epochs, the election's
 * compare-and-set, unknown members, repeated requests. A refused command changes nothing but the
 * sender's request counter; an unauthenticated one changes nothing at all.
 */
public final class ClusterStateMachine implements Transition {
  /** Longest lease a renewal may ask for; anything longer is a corrupt or hostile request. */
  static final long MAX_LEASE_MILLIS = 24L * 3600 * 1000;

  private final SignatureCheck signatures = new SignatureCheck();

  @Override
  public Applied apply(ClusterState state, Request request, long index) {
    Origin origin = request.origin();
    Command command = request.command();
    Optional<String> unauthenticated = signatures.refusal(state, request);
    if (unauthenticated.isPresent()) {
      return reject(state, index, Rejection.UNAUTHENTICATED, unauthenticated.get());
    }
    if (command instanceof Bootstrap bootstrap) {
      return bootstrap(state, origin, bootstrap, index);
    }
    if (!state.initialized()) {
      return reject(state, index, Rejection.NOT_INITIALIZED, "the cluster is not bootstrapped yet");
    }
    MemberRecord sender = state.members().get(origin.member());
    if (sender == null) {
      return reject(state, index, Rejection.UNKNOWN_MEMBER,
          "member " + origin.member() + " is not in cluster " + state.clusterName());
    }
    if (!sender.isNewRequest(origin)) {
      return reject(state, index, Rejection.STALE_REQUEST, origin.incarnation() < sender.incarnation()
          ? "request " + origin.seq() + " from " + origin.member() + " comes from incarnation " + origin.incarnation()
              + ", older than its recorded incarnation " + sender.incarnation()
          : "request " + origin.seq() + " from " + origin.member() + " was already applied or overtaken by request "
              + sender.seq());
    }
    ClusterState s = state.toBuilder().member(sender.withRequest(origin)).build();
    Optional<String> oversized = Limits.oversized(command);
    if (oversized.isPresent()) {
      return reject(s, index, Rejection.INVALID, oversized.get());
    }
    if (command instanceof ReportStatus report) {
      return report(s, sender, report, index);
    } else if (command instanceof Renew renew) {
      return renew(s, origin, renew, index);
    } else if (command instanceof Release release) {
      return release(s, origin, release, index);
    } else if (command instanceof Elect elect) {
      return elect(s, origin, elect, index);
    } else if (command instanceof RecordPromotion promotion) {
      return recordPromotion(s, origin, promotion, index);
    } else if (command instanceof SetSynchronous sync) {
      return setSynchronous(s, origin, sync, index);
    } else if (command instanceof SetPause pause) {
      return accept(s.toBuilder().paused(pause.paused()).build(), index, pause.paused() ? "paused" : "resumed");
    } else if (command instanceof RequestSwitchover switchover) {
      return requestSwitchover(s, origin, switchover, index);
    } else if (command instanceof CancelSwitchover) {
      return s.switchover().isEmpty()
          ? reject(s, index, Rejection.NO_SWITCHOVER, "no switchover is pending")
          : accept(s.toBuilder().switchover(Optional.empty()).build(), index, "switchover cancelled");
    } else if (command instanceof UpdateSettings update) {
      return accept(s.toBuilder().settings(update.settings()).build(), index, "settings updated");
    } else if (command instanceof AddMember add) {
      return addMember(s, add, index);
    } else if (command instanceof RemoveMember remove) {
      return removeMember(s, remove, index);
    }
    return reject(s, index, Rejection.INVALID, "unknown command " + command.getClass().getSimpleName());
  }

  private Applied bootstrap(ClusterState state, Origin origin, Bootstrap bootstrap, long index) {
    if (state.initialized()) {
      return state.clusterName().equals(bootstrap.clusterName())
          ? reject(state, index, Rejection.ALREADY_INITIALIZED, "cluster " + state.clusterName() + " is already bootstrapped")
          : reject(state, index, Rejection.CLUSTER_MISMATCH, "this Raft group holds cluster " + state.clusterName()
              + ", not " + bootstrap.clusterName());
    }
    if (bootstrap.clusterName().isBlank()) {
      return reject(state, index, Rejection.INVALID, "cluster name must not be empty");
    }
    Set<MemberId> ids = new HashSet<>();
    boolean anyData = false;
    for (Peer peer : bootstrap.peers()) {
      if (!ids.add(peer.id())) {
        return reject(state, index, Rejection.INVALID, "member " + peer.id() + " is listed twice");
      }
      anyData |= peer.kind() == MemberKind.DATA;
    }
    if (!anyData) {
      return reject(state, index, Rejection.INVALID, "a cluster needs at least one data member");
    }
    if (!ids.contains(origin.member())) {
      return reject(state, index, Rejection.UNKNOWN_MEMBER, "member " + origin.member() + " is not among the peers it bootstraps");
    }
    ClusterState.Builder next = state.toBuilder().clusterName(bootstrap.clusterName()).settings(bootstrap.settings())
        .ca(bootstrap.ca());
    for (Peer peer : bootstrap.peers()) {
      MemberRecord record = MemberRecord.of(peer);
      next.member(peer.id().equals(origin.member()) ? record.withRequest(origin) : record);
    }
    return accept(next.build(), index, "bootstrapped cluster " + bootstrap.clusterName());
  }

  private Applied report(ClusterState s, MemberRecord sender, ReportStatus report, long index) {
    if (!sender.isData() && report.status().isPresent()) {
      return reject(s, index, Rejection.NOT_DATA_MEMBER, "witness " + sender.id() + " has no database to report");
    }
    return accept(s.toBuilder().member(s.members().get(sender.id()).withReport(report, index)).build(), index, "");
  }

  private Applied renew(ClusterState s, Origin origin, Renew renew, long index) {
    Optional<Applied> refused = requirePrimary(s, origin.member(), renew.epoch(), index, "renew");
    if (refused.isPresent()) {
      return refused.get();
    }
    if (renew.leaseMillis() <= 0 || renew.leaseMillis() > MAX_LEASE_MILLIS) {
      return reject(s, index, Rejection.INVALID, "lease of " + renew.leaseMillis() + " ms is out of range");
    }
    ClusterState.Builder next = s.toBuilder().lastRenewalIndex(index).renewedAtMillis(origin.sentAtMillis())
        .leaseMillis(renew.leaseMillis());
    if (!s.leaseTakenInEpoch()) {
      // The first lease of the epoch: from now on this primary may accept writes that only it holds.
      next.lastLease(Optional.of(origin.member()), renew.epoch()).synchronousStandbys(Set.of());
    }
    return accept(next.build(), index, "");
  }

  private Applied release(ClusterState s, Origin origin, Release release, long index) {
    Optional<Applied> refused = requirePrimary(s, origin.member(), release.epoch(), index, "release");
    if (refused.isPresent()) {
      return refused.get();
    }
    return accept(s.toBuilder().primary(Optional.empty()).lastRenewalIndex(index).releasedLsn(release.lsn())
        .releaseReason(release.reason()).build(), index, origin.member() + " released epoch " + release.epoch()
        + ": " + release.reason());
  }

  private Applied elect(ClusterState s, Origin origin, Elect elect, long index) {
    if (!elect.epoch().equals(s.epoch().next())) {
      return reject(s, index, Rejection.STALE_EPOCH, "election for epoch " + elect.epoch()
          + " but the cluster is at epoch " + s.epoch());
    }
    if (elect.expectedRenewalIndex() != s.lastRenewalIndex()) {
      // The current renewal index stays unsaid: it is the one thing an election must guess right.
      return reject(s, index, Rejection.RENEWED_SINCE, "the primary renewed or released after the arbiter's view at index "
          + elect.expectedRenewalIndex());
    }
    Optional<MemberRecord> candidate = s.member(elect.candidate());
    if (candidate.isEmpty()) {
      return reject(s, index, Rejection.UNKNOWN_MEMBER, "candidate " + elect.candidate() + " is not a member");
    }
    if (!candidate.get().isData()) {
      return reject(s, index, Rejection.NOT_DATA_MEMBER, "candidate " + elect.candidate() + " is a witness");
    }
    if (candidate.get().tags().excludedFromFailover()) {
      return reject(s, index, Rejection.NOT_ELIGIBLE, "candidate " + elect.candidate() + " is tagged nofailover");
    }
    if (s.paused() && s.switchover().isEmpty()) {
      return reject(s, index, Rejection.PAUSED, "the cluster is paused");
    }
    // Checked here, not only by the arbiter: the arbiter may have decided on a view that is no longer
    // true (it froze and thawed, or the record shrank since).
    if (s.settings().synchronousMode() != SynchronousMode.OFF && !s.electableInSynchronousMode(elect.candidate())) {
      return reject(s, index, Rejection.NOT_ELIGIBLE, "candidate " + elect.candidate()
          + " is not known to hold every acknowledged commit (synchronous standbys " + s.synchronousStandbys() + ")");
    }
    HistoryEntry entry = new HistoryEntry(elect.epoch(), elect.candidate(), elect.cause(), elect.reason(),
        Instant.ofEpochMilli(origin.sentAtMillis()), 0, s.handoverLsn());
    ClusterState next = s.toBuilder().epoch(elect.epoch()).primary(Optional.of(elect.candidate()))
        .lastRenewalIndex(index).releasedLsn(Optional.empty()).releaseReason("")
        .switchover(Optional.empty()).appendHistory(entry).build();
    return accept(next, index, elect.candidate() + " elected for epoch " + elect.epoch() + ": " + elect.reason());
  }

  private Applied recordPromotion(ClusterState s, Origin origin, RecordPromotion promotion, long index) {
    Optional<Applied> refused = requirePrimary(s, origin.member(), promotion.epoch(), index, "record a promotion");
    if (refused.isPresent()) {
      return refused.get();
    }
    if (promotion.timeline() < 1) {
      return reject(s, index, Rejection.INVALID, "timeline " + promotion.timeline() + " is not a timeline");
    }
    Optional<HistoryEntry> entry = s.currentEntry();
    if (entry.isEmpty()) {
      return reject(s, index, Rejection.INVALID, "epoch " + promotion.epoch() + " has no history entry");
    }
    return accept(s.toBuilder().replaceLastHistory(entry.get().promotedTo(promotion.timeline(), promotion.lsn())).build(),
        index, origin.member() + " promoted to timeline " + promotion.timeline());
  }

  private Applied setSynchronous(ClusterState s, Origin origin, SetSynchronous sync, long index) {
    Optional<Applied> refused = requirePrimary(s, origin.member(), sync.epoch(), index, "set synchronous standbys");
    if (refused.isPresent()) {
      return refused.get();
    }
    for (MemberId member : sync.members()) {
      Optional<MemberRecord> record = s.member(member);
      if (record.isEmpty() || !record.get().isData()) {
        return reject(s, index, Rejection.UNKNOWN_MEMBER, member + " is not a data member");
      }
      if (member.equals(origin.member())) {
        return reject(s, index, Rejection.INVALID, "the primary cannot be its own synchronous standby");
      }
    }
    int quorum = sync.members().isEmpty() ? 0 : sync.quorum();
    if (quorum < (sync.members().isEmpty() ? 0 : 1) || quorum > sync.members().size()) {
      return reject(s, index, Rejection.INVALID, "a quorum of " + sync.quorum() + " out of synchronous standbys "
          + sync.members() + " is impossible");
    }
    return accept(s.toBuilder().synchronousStandbys(sync.members(), quorum).build(), index,
        "synchronous standbys " + (quorum == sync.members().size() ? "" : "(any " + quorum + ") ") + sync.members());
  }

  private Applied requestSwitchover(ClusterState s, Origin origin, RequestSwitchover request, long index) {
    if (!request.epoch().equals(s.epoch())) {
      return reject(s, index, Rejection.STALE_EPOCH, "switchover asked for epoch " + request.epoch()
          + " but the cluster is at epoch " + s.epoch());
    }
    if (s.switchover().isPresent()) {
      return reject(s, index, Rejection.SWITCHOVER_PENDING, "a switchover is already pending");
    }
    if (request.from().isPresent() && !request.from().equals(s.primary())) {
      return reject(s, index, Rejection.NOT_PRIMARY, request.from().get() + " is not the primary; "
          + s.primary().map(MemberId::value).orElse("nobody") + " is");
    }
    if (request.to().isPresent()) {
      MemberId to = request.to().get();
      Optional<MemberRecord> candidate = s.member(to);
      if (candidate.isEmpty()) {
        return reject(s, index, Rejection.UNKNOWN_MEMBER, "candidate " + to + " is not a member");
      }
      if (!candidate.get().isData()) {
        return reject(s, index, Rejection.NOT_DATA_MEMBER, "candidate " + to + " is a witness");
      }
      if (candidate.get().tags().excludedFromFailover()) {
        return reject(s, index, Rejection.NOT_ELIGIBLE, "candidate " + to + " is tagged nofailover");
      }
      if (s.primary().filter(to::equals).isPresent()) {
        return reject(s, index, Rejection.NOT_ELIGIBLE, "candidate " + to + " is already the primary");
      }
    } else if (s.primary().isEmpty()) {
      return reject(s, index, Rejection.INVALID, "there is no primary to switch over from; name a candidate");
    }
    PendingSwitchover pending = new PendingSwitchover(request.from(), request.to(), request.epoch(),
        request.scheduledAt(), Instant.ofEpochMilli(origin.sentAtMillis()));
    return accept(s.toBuilder().switchover(Optional.of(pending)).build(), index, "switchover requested");
  }

  /**
   * Adding a member that is already there, as it is, changes nothing (an operator repeating a change
   * that Raft did not finish); another member under that id or at that address is a mistake.
   */
  private Applied addMember(ClusterState s, AddMember add, long index) {
    Peer peer = add.peer();
    Optional<MemberRecord> existing = s.member(peer.id());
    if (existing.isPresent()) {
      return existing.get().peer().equals(peer) ? accept(s, index, peer.id() + " is already a member")
          : reject(s, index, Rejection.INVALID, "member " + peer.id() + " is already in the cluster as "
              + existing.get().kind().name().toLowerCase(java.util.Locale.ROOT) + " at " + existing.get().peer().raftAddress());
    }
    for (MemberRecord m : s.members().values()) {
      if (m.peer().raftAddress().equals(peer.raftAddress())) {
        return reject(s, index, Rejection.INVALID, "raft address " + peer.raftAddress() + " is already member "
            + m.id() + "'s");
      }
    }
    return accept(s.toBuilder().member(MemberRecord.of(peer)).membershipChanges(s.membershipChanges() + 1).build(),
        index, "added member " + peer.id());
  }

  /**
   * The record goes, so that the member is never a candidate again and its requests are refused.
   * Never the primary, nor a member that may hold acknowledged writes no other member is known to
   * hold (a synchronous standby, or the last lease holder while no lease was taken since), nor the
   * subject of a pending switchover, nor the last data member.
   */
  private Applied removeMember(ClusterState s, RemoveMember remove, long index) {
    MemberId id = remove.member();
    Optional<MemberRecord> record = s.member(id);
    if (record.isEmpty()) {
      return reject(s, index, Rejection.UNKNOWN_MEMBER, "member " + id + " is not in cluster " + s.clusterName());
    }
    if (s.primary().filter(id::equals).isPresent()) {
      return reject(s, index, Rejection.NOT_ELIGIBLE, id + " is the primary; switch over to another member first");
    }
    if (s.synchronousStandbys().contains(id)) {
      return reject(s, index, Rejection.NOT_ELIGIBLE, id + " is a synchronous standby; stop it and wait until the"
          + " primary drops it from the synchronous set, or turn synchronous mode off");
    }
    if (s.lastLeaseHolder().filter(id::equals).isPresent() && !s.leaseTakenInEpoch()) {
      return reject(s, index, Rejection.NOT_ELIGIBLE, id + " held the last lease and no primary has taken one since;"
          + " wait for the new primary");
    }
    if (s.switchover().filter(w -> w.from().equals(Optional.of(id)) || w.to().equals(Optional.of(id))).isPresent()) {
      return reject(s, index, Rejection.SWITCHOVER_PENDING, "a pending switchover names " + id + "; cancel it first");
    }
    if (record.get().isData() && s.members().values().stream().filter(MemberRecord::isData).count() == 1) {
      return reject(s, index, Rejection.INVALID, id + " is the last data member");
    }
    return accept(s.toBuilder().removeMember(id).membershipChanges(s.membershipChanges() + 1).build(), index,
        "removed member " + id);
  }

  private static Optional<Applied> requirePrimary(ClusterState s, MemberId member, Epoch epoch, long index, String what) {
    if (s.isPrimary(member, epoch)) {
      return Optional.empty();
    }
    if (epoch.compareTo(s.epoch()) < 0) {
      return Optional.of(reject(s, index, Rejection.STALE_EPOCH, member + " cannot " + what + " for epoch " + epoch
          + ": the cluster is at epoch " + s.epoch()));
    }
    return Optional.of(reject(s, index, Rejection.NOT_PRIMARY, member + " cannot " + what + " for epoch " + epoch
        + ": the primary is " + s.primary().map(MemberId::value).orElse("nobody") + " at epoch " + s.epoch()));
  }

  private static Applied accept(ClusterState s, long index, String reason) {
    return new Applied(s, new ApplyResult(index, Optional.empty(), reason, s.epoch(), s.primary()));
  }

  private static Applied reject(ClusterState s, long index, Rejection rejection, String reason) {
    return new Applied(s, new ApplyResult(index, Optional.of(rejection), reason, s.epoch(), s.primary()));
  }
}

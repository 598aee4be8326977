package io.ratisfailover.internal.ratis;

import io.ratisfailover.MemberId;
import io.ratisfailover.internal.state.ClusterState;
import java.util.Objects;
import java.util.Optional;

/**
 * What one peer told us about the group before our own Raft server started.
 *
 * @param peer who answered
 * @param committedBySelf the highest commit index the peer has seen us report (Ratis passes every
 *     follower's commit index around with its appends and keeps the maximum); -1 when it never saw
 *     one. Held in memory only: a peer restarted since we last answered it does not know it.
 * @param reportedBySelf the log index of our latest status report in the peer's applied state; 0
 *     when it holds none; {@link #UNREAD} when its state could not be read. Replicated and durable:
 *     the cluster has heard from us before.
 * @param appliedBySelf the log index that report said we had applied, so our storage held the log
 *     that far; 0 when the peer's state holds no such figure (or could not be read). Replicated and
 *     durable, unlike {@code committedBySelf}.
 * @param groupCommitted the highest commit index the peer knows of in the group: 0 or less for a
 *     group that has committed nothing yet (a brand-new cluster starting)
 * @param state the peer's applied cluster state, when it could be read: what this member's
 *     configuration must agree with
 * @param listsSelf whether the group's configuration, as the peer holds it, lists this member as a
 *     voter: a new member added through reconfiguration starts before it is listed
 */
public record PeerReport(MemberId peer, long committedBySelf, long reportedBySelf, long appliedBySelf,
    long groupCommitted, Optional<ClusterState> state, boolean listsSelf) {
  /** The peer answered about the group, but its state could not be read: whether it knows us is unknown. */
  public static final long UNREAD = -1;

  public PeerReport {
    Objects.requireNonNull(peer, "peer");
    Objects.requireNonNull(state, "state");
  }

  /** A report whose state was not read, from a peer that lists this member. */
  public PeerReport(MemberId peer, long committedBySelf, long reportedBySelf, long groupCommitted) {
    this(peer, committedBySelf, reportedBySelf, 0, groupCommitted, Optional.empty(), true);
  }

  /** A report from a peer that lists this member. */
  public PeerReport(MemberId peer, long committedBySelf, long reportedBySelf, long groupCommitted,
      Optional<ClusterState> state) {
    this(peer, committedBySelf, reportedBySelf, 0, groupCommitted, state, true);
  }
}

package io.ratisfailover;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/**
 * A running member, as routers' health checks, the HTTP API and embedding applications use it.
 * Every read answers from memory, never with a network round trip; every admin call goes through
 * the replicated log and returns a clear outcome or one of this library's exceptions.
 */
public interface ClusterMember {

  MemberId id();

  MemberKind kind();

  /** This member's own view of itself, now. */
  LocalView local();

  /** The cluster as this member last applied it. */
  ClusterView cluster();

  /**
   * Whether this member may answer 200 on {@code /primary} at this instant. Evaluated against the
   * lease on every call, so it turns false the moment the lease runs out, whatever the agent is doing.
   */
  boolean servingPrimary();

  /**
   * Asks the primary to hand over and waits up to {@code wait} for the new primary. A scheduled
   * request returns at once with {@link SwitchoverOutcome#scheduled()}.
   *
   * @throws AdminRejectedException when the request is refused, or does not complete in time
   * @throws NoQuorumException when it cannot be committed
   */
  SwitchoverOutcome switchover(SwitchoverRequest request, Duration wait);

  /**
   * Makes {@code candidate} the primary: a switchover if the primary is healthy, otherwise an
   * election of {@code candidate} once the old primary's lease has run out. Waits up to {@code wait}.
   */
  SwitchoverOutcome failover(MemberId candidate, Duration wait);

  /** Cancels a pending (for example scheduled) switchover. */
  void cancelSwitchover();

  /** Maintenance mode: no automatic failover or database action until {@link #resume()}. */
  void pause();

  void resume();

  /** Changes the cluster-wide dynamic settings; returns them as applied. */
  ClusterSettings updateSettings(UnaryOperator<ClusterSettings> change);

  /** Restarts this member's database in its current role. */
  CompletableFuture<Void> restartDatabase();

  /** Makes this member's database re-read its configuration. */
  CompletableFuture<Void> reloadDatabase();

  /** Throws this standby's data away and clones it afresh from the primary, where configuration allows. */
  CompletableFuture<Void> reinitializeDatabase();

  /**
   * Adds a data member or witness through Raft reconfiguration: its record first, then its vote,
   * once the Raft leader has brought it up to date (log or snapshot). Start the new member's process
   * first (with a peers list that includes it): it waits outside the group until it is added.
   *
   * @param wait how long one attempt may wait for the new member to catch up and the change to commit
   * @return the group's voters afterwards
   * @throws AdminRejectedException when the change is unsafe (the voters that decide it are not answering)
   *     or the member is already there
   * @throws FailoverException when the Raft change did not complete; repeating the call finishes it
   */
  List<MemberId> addMember(Peer peer, Duration wait);

  /**
   * Removes a member: its record first (it is never elected again, and its agent stops and keeps
   * its database fenced), then its vote. Refused for the primary (switch over first), for a member
   * not in the cluster, and when fewer than three voters would remain or the remaining ones are not
   * answering.
   *
   * @return the group's voters afterwards
   */
  List<MemberId> removeMember(MemberId member, Duration wait);

  /** Adds {@code replacement}, then removes {@code old}; the removal's refusals are checked first. */
  List<MemberId> replaceMember(MemberId old, Peer replacement, Duration wait);
}

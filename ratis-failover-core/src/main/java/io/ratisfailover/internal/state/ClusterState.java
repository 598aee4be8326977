package io.ratisfailover.internal.state;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.Epoch;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.PendingSwitchover;
import io.ratisfailover.spi.DatabaseStatus;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The replicated cluster state: what every member holds after applying the same log. Immutable;
 * {@link ClusterStateMachine} produces the next one.
 *
 * @param clusterName empty until the cluster is bootstrapped
 * @param epoch the current epoch; it grows by one with every election
 * @param primary the member elected for {@code epoch}; empty before the first election and after a release
 * @param lastRenewalIndex log index of the last renewal, release or election: what an election
 *     compares against
 * @param renewedAtMillis the renewing member's wall clock at its last renewal, shown to people only
 * @param leaseMillis the lease the last renewal asked for; the arbiter waits at least this long
 * @param releasedLsn where the primary of {@code epoch} released, between its release and the next election
 * @param releaseReason why it released
 * @param synchronousStandbys members known to hold every acknowledged commit of the last lease holder; kept
 *     across an election until the new primary takes its lease, so an epoch whose primary never took it
 *     leaves the cluster as eligible as it was before
 * @param lastLeaseHolder the last member whose renewal was applied: the last one that may have taken writes
 * @param lastLeaseEpoch the epoch {@code lastLeaseHolder} took its lease in
 * @param ca the CA the cluster was bootstrapped with: then only commands signed by a member's
 *     certificate from it apply; empty for an unauthenticated cluster. Set once, never changed.
 * @param synchronousQuorum on how many of {@code synchronousStandbys} every acknowledged commit is:
 *     all of them in synchronous mode on and strict, at least this many in quorum mode
 * @param membershipChanges how many members were added or removed since bootstrap: once it is above
 *     zero, the members here, not the peers lists of the configuration files, are the cluster's
 */
public record ClusterState(String clusterName, ClusterSettings settings, SortedMap<MemberId, MemberRecord> members,
    Epoch epoch, Optional<MemberId> primary, long lastRenewalIndex, long renewedAtMillis, long leaseMillis,
    Optional<Lsn> releasedLsn, String releaseReason, Set<MemberId> synchronousStandbys, boolean paused,
    Optional<PendingSwitchover> switchover, List<HistoryEntry> history, Optional<MemberId> lastLeaseHolder,
    Epoch lastLeaseEpoch, Optional<ClusterCa> ca, int synchronousQuorum, long membershipChanges) {

  /** How many epochs the history keeps. */
  static final int HISTORY_LIMIT = 200;

  public static final ClusterState EMPTY = new ClusterState("", ClusterSettings.DEFAULT, new TreeMap<>(),
      Epoch.ZERO, Optional.empty(), 0, 0, 0, Optional.empty(), "", Set.of(), false, Optional.empty(), List.of(),
      Optional.empty(), Epoch.ZERO, Optional.empty(), 0, 0);

  public ClusterState {
    Objects.requireNonNull(clusterName, "clusterName");
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(epoch, "epoch");
    Objects.requireNonNull(primary, "primary");
    Objects.requireNonNull(releasedLsn, "releasedLsn");
    releasedLsn = releasedLsn.filter(l -> !l.equals(Lsn.ZERO)); // 0/0 is no position: "not known", as on the wire
    Objects.requireNonNull(releaseReason, "releaseReason");
    Objects.requireNonNull(switchover, "switchover");
    Objects.requireNonNull(lastLeaseHolder, "lastLeaseHolder");
    Objects.requireNonNull(lastLeaseEpoch, "lastLeaseEpoch");
    Objects.requireNonNull(ca, "ca");
    members = Collections.unmodifiableSortedMap(new TreeMap<>(members));
    synchronousStandbys = Set.copyOf(synchronousStandbys);
    if (synchronousQuorum < 0 || synchronousQuorum > synchronousStandbys.size()
        || (synchronousQuorum == 0) != synchronousStandbys.isEmpty()) {
      throw new IllegalArgumentException("synchronous quorum " + synchronousQuorum + " does not fit synchronous standbys "
          + synchronousStandbys);
    }
    history = List.copyOf(history);
  }

  public boolean initialized() {
    return !clusterName.isEmpty();
  }

  /** Whether commands must be signed: the cluster was bootstrapped with a CA. */
  public boolean authenticated() {
    return ca.isPresent();
  }

  public Optional<MemberRecord> member(MemberId id) {
    return Optional.ofNullable(members.get(id));
  }

  /** Whether {@code member} is the primary of {@code epoch}, and {@code epoch} is current. */
  public boolean isPrimary(MemberId member, Epoch epoch) {
    return this.epoch.equals(epoch) && primary.filter(member::equals).isPresent();
  }

  /** The history entry of the current epoch, if the cluster has had a primary. */
  public Optional<HistoryEntry> currentEntry() {
    if (history.isEmpty()) {
      return Optional.empty();
    }
    HistoryEntry last = history.get(history.size() - 1);
    return last.epoch().equals(epoch) ? Optional.of(last) : Optional.empty();
  }

  /** Whether the primary of the current epoch has taken its lease: only then may it have accepted writes. */
  public boolean leaseTakenInEpoch() {
    return lastLeaseHolder.isPresent() && lastLeaseEpoch.equals(epoch);
  }

  /**
   * Where the last lease holder handed over, when it released with a known position: what a
   * successor must have replayed. An epoch whose primary never took its lease keeps its predecessor's.
   */
  public Optional<Lsn> handoverLsn() {
    return leaseTakenInEpoch() ? releasedLsn : currentEntry().flatMap(HistoryEntry::switchLsn);
  }

  /**
   * Whether {@code member} is known to hold every commit acknowledged so far (docs/design.md §4.7): a recorded
   * synchronous standby, or the last lease holder itself once its WAL reaches where it handed over;
   * anyone at all while no member has ever held a lease, since nothing was acknowledged yet.
   */
  public boolean holdsEveryAcknowledgedCommit(MemberId member) {
    boolean onEverySynchronousStandby = synchronousQuorum == synchronousStandbys.size();
    if (lastLeaseHolder.isEmpty() || (onEverySynchronousStandby && synchronousStandbys.contains(member))) {
      return true;
    }
    if (!lastLeaseHolder.get().equals(member)) {
      return false;
    }
    Optional<Lsn> position = member(member).flatMap(MemberRecord::status).map(DatabaseStatus::position);
    return handoverLsn().map(h -> position.filter(p -> !p.isBefore(h)).isPresent()).orElse(true);
  }

  /**
   * Whether {@code member} may be elected in synchronous mode: it holds every acknowledged commit
   * ({@link #holdsEveryAcknowledgedCommit}), or it belongs to a recorded quorum, where it must still
   * find itself the most advanced of enough of that quorum before it takes its lease (docs/design.md §4.7).
   */
  public boolean electableInSynchronousMode(MemberId member) {
    return holdsEveryAcknowledgedCommit(member) || synchronousStandbys.contains(member);
  }

  /** Whether the synchronous record is a quorum: an acknowledged commit need not be on every recorded standby. */
  public boolean synchronousQuorumRecorded() {
    return synchronousQuorum < synchronousStandbys.size();
  }

  /** The primary before the current epoch's, if any. */
  public Optional<MemberId> previousPrimary() {
    int i = history.size() - (currentEntry().isPresent() ? 2 : 1);
    return i >= 0 ? Optional.of(history.get(i).member()) : Optional.empty();
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Changes several fields at once; used only by {@link ClusterStateMachine} and the snapshot codec. */
  public static final class Builder {
    String clusterName;
    ClusterSettings settings;
    final SortedMap<MemberId, MemberRecord> members;
    Epoch epoch;
    Optional<MemberId> primary;
    long lastRenewalIndex;
    long renewedAtMillis;
    long leaseMillis;
    Optional<Lsn> releasedLsn;
    String releaseReason;
    Set<MemberId> synchronousStandbys;
    boolean paused;
    Optional<PendingSwitchover> switchover;
    final List<HistoryEntry> history;
    Optional<MemberId> lastLeaseHolder;
    Epoch lastLeaseEpoch;
    Optional<ClusterCa> ca;
    int synchronousQuorum;
    long membershipChanges;

    private Builder(ClusterState s) {
      clusterName = s.clusterName;
      settings = s.settings;
      members = new TreeMap<>(s.members);
      epoch = s.epoch;
      primary = s.primary;
      lastRenewalIndex = s.lastRenewalIndex;
      renewedAtMillis = s.renewedAtMillis;
      leaseMillis = s.leaseMillis;
      releasedLsn = s.releasedLsn;
      releaseReason = s.releaseReason;
      synchronousStandbys = s.synchronousStandbys;
      paused = s.paused;
      switchover = s.switchover;
      history = new ArrayList<>(s.history);
      lastLeaseHolder = s.lastLeaseHolder;
      lastLeaseEpoch = s.lastLeaseEpoch;
      ca = s.ca;
      synchronousQuorum = s.synchronousQuorum;
      membershipChanges = s.membershipChanges;
    }

    public Builder clusterName(String v) { clusterName = v; return this; }
    public Builder settings(ClusterSettings v) { settings = v; return this; }
    public Builder member(MemberRecord v) { members.put(v.id(), v); return this; }
    public Builder epoch(Epoch v) { epoch = v; return this; }
    public Builder primary(Optional<MemberId> v) { primary = v; return this; }
    public Builder lastRenewalIndex(long v) { lastRenewalIndex = v; return this; }
    public Builder renewedAtMillis(long v) { renewedAtMillis = v; return this; }
    public Builder leaseMillis(long v) { leaseMillis = v; return this; }
    public Builder releasedLsn(Optional<Lsn> v) { releasedLsn = v; return this; }
    public Builder releaseReason(String v) { releaseReason = v; return this; }
    /** Standbys that each hold every acknowledged commit. */
    public Builder synchronousStandbys(Set<MemberId> v) { return synchronousStandbys(v, v.size()); }

    /** Standbys of which at least {@code quorum} hold each acknowledged commit. */
    public Builder synchronousStandbys(Set<MemberId> v, int quorum) {
      synchronousStandbys = v;
      synchronousQuorum = quorum;
      return this;
    }

    public Builder paused(boolean v) { paused = v; return this; }
    public Builder switchover(Optional<PendingSwitchover> v) { switchover = v; return this; }
    public Builder ca(Optional<ClusterCa> v) { ca = v; return this; }
    public Builder removeMember(MemberId v) { members.remove(v); return this; }
    public Builder membershipChanges(long v) { membershipChanges = v; return this; }
    public Builder lastLease(Optional<MemberId> holder, Epoch in) { lastLeaseHolder = holder; lastLeaseEpoch = in; return this; }

    public Builder appendHistory(HistoryEntry entry) {
      history.add(entry);
      while (history.size() > HISTORY_LIMIT) {
        history.remove(0);
      }
      return this;
    }

    public Builder replaceLastHistory(HistoryEntry entry) {
      history.set(history.size() - 1, entry);
      return this;
    }

    public ClusterState build() {
      return new ClusterState(clusterName, settings, members, epoch, primary, lastRenewalIndex, renewedAtMillis,
          leaseMillis, releasedLsn, releaseReason, synchronousStandbys, paused, switchover, history, lastLeaseHolder,
          lastLeaseEpoch, ca, synchronousQuorum, membershipChanges);
    }
  }
}

package io.ratisfailover.internal.control;

import io.ratisfailover.Epoch;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.state.ClusterCa;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.MemberRecord;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.FenceMode;
import io.ratisfailover.spi.PrimaryTopology;
import io.ratisfailover.spi.Promotion;
import io.ratisfailover.spi.Upstream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The member agent's decision (docs/design.md §4.1, §4.2, §4.4–§4.8): a pure function from the applied state,
 * the local lease and the last database observation to the actions to take now, the reason, and
 * when to look again. The runtime performs the actions; nothing here blocks or reads a clock.
 * The primary's part is {@link PrimaryDecision}, its synchronous standbys {@link SynchronousStandbys}.
 */
final class Agent {
  private Agent() {}

  /** Why this member last fenced its database; cleared when the database is started again. */
  enum FenceReason {
    /** The lease ran out: restart as primary if the lease comes back. */
    LEASE_LOST,
    /** Another member holds the epoch, or nobody does: follow. */
    NOT_PRIMARY,
    /** The database failed as primary: release the epoch. */
    DATABASE_FAILED,
    /** A planned switchover: release the epoch with the final position. */
    SWITCHOVER,
    /** This member gives its epoch up: release once nothing can make the database writable any more. */
    GIVE_UP
  }

  /**
   * Everything the decision depends on; ticks are this member's.
   *
   * @param db the last database observation ({@link DatabaseState#UNKNOWN} after a failed one)
   * @param fencedFor why we fenced, until the database is started again
   * @param primaryDownSince since when our database has not been writable while we are promoted
   *     primary and did not fence it ourselves
   * @param candidateSince since when we have been elected and not yet promoted in this epoch
   * @param syncBarriers for each configured synchronous standby, the primary's write position
   *     when it was first seen configured: it holds every acknowledged commit once flushed past it
   * @param configured the topology last applied to the running primary in this epoch
   * @param promotedEpoch the epoch this agent last promoted its database for, since it started
   * @param writableOperationInFlight an operation that makes the database writable (promote, start
   *     as primary, bootstrap) is running: until it ends, the database may turn writable any moment
   * @param unconfirmedSync synchronous-standby records this agent sent that may still apply: each was
   *     neither seen applied nor overtaken by a later command of this agent's
   * @param sampledAfter for each member, the log index it had applied when it started observing the
   *     database status of its last applied report (when it said)
   * @param switchoverDrain how long a primary handing over in a switchover answers 503 on
   *     {@code /primary} while its database still takes writes, before it stops it
   * @param drainingSince since when this member has been doing so, for the switchover now due
   */
  record Input(MemberId self, MemberKind kind, String clusterName, ClusterState state, boolean booted, Timing timing,
      long now, Instant wallNow, Lease lease, long nextRenewAt, Optional<DatabaseStatus> db,
      Optional<FenceReason> fencedFor, OptionalLong primaryDownSince, OptionalLong candidateSince,
      Map<MemberId, Lsn> syncBarriers, Optional<PrimaryTopology> configured, Optional<Epoch> promotedEpoch,
      boolean writableOperationInFlight, Set<SyncRecord> unconfirmedSync, Optional<ClusterCa> ca,
      Map<MemberId, Long> sampledAfter, Duration switchoverDrain, OptionalLong drainingSince) {
    Input {
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(ca, "ca");
      Objects.requireNonNull(switchoverDrain, "switchoverDrain");
      Objects.requireNonNull(drainingSince, "drainingSince");
      syncBarriers = Map.copyOf(syncBarriers);
      unconfirmedSync = Set.copyOf(unconfirmedSync);
      sampledAfter = Map.copyOf(sampledAfter);
    }

    /** A member that stops its database at once in a switchover. */
    Input(MemberId self, MemberKind kind, String clusterName, ClusterState state, boolean booted, Timing timing,
        long now, Instant wallNow, Lease lease, long nextRenewAt, Optional<DatabaseStatus> db,
        Optional<FenceReason> fencedFor, OptionalLong primaryDownSince, OptionalLong candidateSince,
        Map<MemberId, Lsn> syncBarriers, Optional<PrimaryTopology> configured, Optional<Epoch> promotedEpoch,
        boolean writableOperationInFlight, Set<SyncRecord> unconfirmedSync, Optional<ClusterCa> ca,
        Map<MemberId, Long> sampledAfter) {
      this(self, kind, clusterName, state, booted, timing, now, wallNow, lease, nextRenewAt, db, fencedFor,
          primaryDownSince, candidateSince, syncBarriers, configured, promotedEpoch, writableOperationInFlight,
          unconfirmedSync, ca, sampledAfter, Duration.ZERO, OptionalLong.empty());
    }

    /** Without knowing when the members' reported statuses were observed. */
    Input(MemberId self, MemberKind kind, String clusterName, ClusterState state, boolean booted, Timing timing,
        long now, Instant wallNow, Lease lease, long nextRenewAt, Optional<DatabaseStatus> db,
        Optional<FenceReason> fencedFor, OptionalLong primaryDownSince, OptionalLong candidateSince,
        Map<MemberId, Lsn> syncBarriers, Optional<PrimaryTopology> configured, Optional<Epoch> promotedEpoch,
        boolean writableOperationInFlight, Set<SyncRecord> unconfirmedSync, Optional<ClusterCa> ca) {
      this(self, kind, clusterName, state, booted, timing, now, wallNow, lease, nextRenewAt, db, fencedFor,
          primaryDownSince, candidateSince, syncBarriers, configured, promotedEpoch, writableOperationInFlight,
          unconfirmedSync, ca, Map.of());
    }

    /** A member of an unauthenticated cluster. */
    Input(MemberId self, MemberKind kind, String clusterName, ClusterState state, boolean booted, Timing timing,
        long now, Instant wallNow, Lease lease, long nextRenewAt, Optional<DatabaseStatus> db,
        Optional<FenceReason> fencedFor, OptionalLong primaryDownSince, OptionalLong candidateSince,
        Map<MemberId, Lsn> syncBarriers, Optional<PrimaryTopology> configured, Optional<Epoch> promotedEpoch,
        boolean writableOperationInFlight, Set<SyncRecord> unconfirmedSync) {
      this(self, kind, clusterName, state, booted, timing, now, wallNow, lease, nextRenewAt, db, fencedFor,
          primaryDownSince, candidateSince, syncBarriers, configured, promotedEpoch, writableOperationInFlight,
          unconfirmedSync, Optional.empty());
    }
  }

  sealed interface Action {
    /** Send a command through the log. */
    record Submit(Command command) implements Action {}

    /** Run a database operation on the operation lane. */
    record Operate(Operation operation) implements Action {}

    /** Stop the database from taking writes, on the fence lane. */
    record Fence(FenceMode mode, FenceReason reason, String why) implements Action {}

    /**
     * Answer 503 on {@code /primary} while the database still takes writes: routers start dropping
     * this server before a switchover stops it, and the next primary's hold-off counts from now.
     */
    record Drain() implements Action {}

    /**
     * Propose this member's cluster name, peers and settings as the new cluster's. Only a data
     * member does: the settings are PostgreSQL's, and a witness has none of its own to give.
     */
    record ProposeBootstrap() implements Action {}
  }

  sealed interface Operation {
    String name();

    record Bootstrap(PrimaryTopology topology) implements Operation {
      public String name() { return "bootstrap"; }
    }

    record StartReplica(Optional<Upstream> upstream) implements Operation {
      public String name() { return "start replica"; }
    }

    record Promote(Promotion promotion) implements Operation {
      public String name() { return "promote"; }
    }

    record StartPrimary(PrimaryTopology topology) implements Operation {
      public String name() { return "start primary"; }
    }

    record ConfigurePrimary(PrimaryTopology topology) implements Operation {
      public String name() { return "configure primary"; }
    }
  }

  record Decision(List<Action> actions, String reason, long nextCheckAt) {
    Decision {
      actions = List.copyOf(actions);
    }
  }

  static Decision decide(Input in) {
    return decide(in, SyncRecord::mustHear);
  }

  /** With {@code quorumRule} deciding how many of a quorum set a candidate must hear from: tests break it on purpose. */
  static Decision decide(Input in, QuorumElection.Rule quorumRule) {
    long next = Ticks.plus(in.now(), in.timing().loopWait());
    ClusterState s = in.state();
    if (in.kind() == MemberKind.WITNESS) {
      return idle("witness: votes and arbitrates, holds no data", Ticks.plus(in.now(), in.timing().ttl()));
    }
    Optional<Decision> fence = in.db().flatMap(db -> fenceWithoutLease(in, db, next));
    if (fence.isPresent()) {
      return fence.get();
    }
    if (!in.booted()) {
      return idle("reading the committed cluster state before touching the database", next);
    }
    if (!s.initialized()) {
      return new Decision(List.of(new Action.ProposeBootstrap()), "proposing to bootstrap cluster " + in.clusterName()
          + " with this member's settings", next);
    }
    if (!s.clusterName().equals(in.clusterName())) {
      return idle("configured for cluster " + in.clusterName() + " but the Raft group holds cluster "
          + s.clusterName() + ": doing nothing", next);
    }
    Optional<String> distrusted = Trust.problem(s, in.ca());
    if (distrusted.isPresent()) {
      return idle(distrusted.get(), next);
    }
    if (in.db().isEmpty()) {
      return idle("waiting for the first database status", next);
    }
    return s.isPrimary(in.self(), s.epoch()) ? PrimaryDecision.decide(in, in.db().get(), quorumRule, next) : asNonPrimary(in, in.db().get(), next);
  }

  /**
   * W1: a database that may accept writes while this member holds no valid lease is fenced at once,
   * before anything else — before the boot barrier (the agent restarted next to a running primary,
   * perhaps cut off from the majority), while paused, and in the middle of a promotion whose lease
   * ran out. A fenced server that still answers as primary is fenced again.
   */
  private static Optional<Decision> fenceWithoutLease(Input in, DatabaseStatus db, long next) {
    ClusterState s = in.state();
    Epoch epoch = s.epoch();
    boolean primaryHere = s.isPrimary(in.self(), epoch);
    // A server that does not answer, or is starting, may be writable if this member promoted it, or
    // when the agent has just started and knows nothing of what the server did before.
    boolean unknown = db.state() == DatabaseState.UNKNOWN || db.state() == DatabaseState.STARTING;
    boolean mayBeWritable = db.isPrimary() || in.writableOperationInFlight()
        || (unknown && (!in.booted() || (primaryHere && promotedInCurrentEpoch(in, db))));
    if (!mayBeWritable || in.lease().isValid(in.now(), s, in.self()) || (in.fencedFor().isPresent() && !db.isPrimary())) {
      return Optional.empty();
    }
    List<Action> actions = new ArrayList<>();
    if (primaryHere && in.booted() && Ticks.reached(in.now(), in.nextRenewAt())) {
      actions.add(new Action.Submit(new Command.Renew(epoch, in.timing().leaseDuration().toMillis())));
    }
    String why;
    if (!primaryHere) {
      why = s.primary().map(p -> p + " is primary of epoch " + epoch).orElse("epoch " + epoch + " has no primary");
    } else if (in.lease().lapsedFor(epoch, in.now())) {
      why = "lease for epoch " + epoch + " expired before a renewal was applied";
    } else {
      why = "no lease for epoch " + epoch + " is held" + (in.booted() ? "" : " (just started)");
    }
    actions.add(new Action.Fence(FenceMode.IMMEDIATE, primaryHere ? FenceReason.LEASE_LOST : FenceReason.NOT_PRIMARY, why));
    return Optional.of(new Decision(actions, "database may accept writes but " + why + ": fencing", next));
  }

  private static Decision asNonPrimary(Input in, DatabaseStatus db, long next) {
    ClusterState s = in.state();
    Optional<MemberId> primary = s.primary();
    if (s.paused()) {
      return idle("paused: taking no automatic action", next);
    }
    if (primary.isEmpty()) {
      if (db.state() == DatabaseState.STOPPED) {
        return new Decision(List.of(new Action.Operate(new Operation.StartReplica(Optional.empty()))),
            "no primary in epoch " + s.epoch() + ": starting as a standby so that this member can be elected", next);
      }
      return idle("no primary in epoch " + s.epoch() + ": waiting for an election", next);
    }
    MemberId leader = primary.get();
    boolean leaderPromoted = s.currentEntry().map(HistoryEntry::promoted).orElse(false);
    if (!leaderPromoted) {
      Optional<String> detaching = s.synchronousQuorumRecorded() ? detachForComparison(db, leader) : Optional.empty();
      if (detaching.isPresent()) {
        return new Decision(List.of(new Action.Operate(new Operation.StartReplica(Optional.empty()))),
            detaching.get() + ": " + leader + " was elected for epoch " + s.epoch()
            + " and compares positions with the quorum set", next);
      }
      return idle("waiting for " + leader + " to promote for epoch " + s.epoch(), next);
    }
    if (db.isStandby() && db.upstream().filter(leader::equals).isPresent()) {
      return idle((db.isReplica() ? "following " : "recovering from ") + leader + ", primary of epoch " + s.epoch(), next);
    }
    if (db.state() == DatabaseState.STARTING) {
      return idle("database is starting", next);
    }
    Upstream upstream = new Upstream(leader, s.member(leader).map(MemberRecord::attributes).orElse(Map.of()));
    return new Decision(List.of(new Action.Operate(new Operation.StartReplica(Optional.of(upstream)))),
        "following " + leader + ", primary of epoch " + s.epoch(), next);
  }

  /**
   * Quorum commit, while the elected {@code leader} compares positions with the quorum set before it
   * takes the lease (QuorumElection): why this member's database must first start detached, if it must.
   */
  private static Optional<String> detachForComparison(DatabaseStatus db, MemberId leader) {
    if (db.isStandby() && db.upstream().filter(u -> !u.equals(leader)).isPresent()) {
      // An old primary whose agent is gone may still run and acknowledge commits through the
      // standbys that still follow it. Detached, this standby's position is final.
      return Optional.of("detaching from " + db.upstream().get());
    }
    // A stopped standby has no position to compare: the candidate would wait for it until it gives up.
    return db.state() == DatabaseState.STOPPED ? Optional.of("starting detached") : Optional.empty();
  }

  static PrimaryTopology topology(ClusterState s, MemberId self, Set<MemberId> synchronous) {
    return topology(s, self, synchronous, 0);
  }

  /** With {@code quorum} above 0, commits wait for any {@code quorum} of {@code synchronous} (quorum commit). */
  static PrimaryTopology topology(ClusterState s, MemberId self, Set<MemberId> synchronous, int quorum) {
    Set<MemberId> standbys = s.members().values().stream().filter(MemberRecord::isData).map(MemberRecord::id)
        .filter(id -> !id.equals(self)).collect(Collectors.toUnmodifiableSet());
    return new PrimaryTopology(s.epoch(), standbys, synchronous,
        s.settings().synchronousMode() == SynchronousMode.STRICT, quorum);
  }

  /**
   * Whether this member's database was already promoted for the current epoch. The replicated
   * record can lag behind the promotion itself (its command may still be in flight when the lease
   * lapses), so the agent's own memory and the database's timeline count too: promoting twice for
   * one epoch would throw away what the first promotion accepted.
   */
  static boolean promotedInCurrentEpoch(Input in, DatabaseStatus db) {
    ClusterState s = in.state();
    if (s.currentEntry().map(HistoryEntry::promoted).orElse(false)
        || in.promotedEpoch().filter(s.epoch()::equals).isPresent()) {
      return true;
    }
    List<HistoryEntry> history = s.history();
    if (history.size() < 2) {
      return false;
    }
    long previousTimeline = history.get(history.size() - 2).timeline();
    return previousTimeline > 0 && db.timeline() > previousTimeline;
  }

  static String describe(DatabaseStatus db) {
    return db.detail().isEmpty() ? db.state().toString() : db.state() + ", " + db.detail();
  }

  private static Decision idle(String reason, long next) {
    return new Decision(List.of(), reason, next);
  }
}

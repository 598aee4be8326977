package io.ratisfailover.internal.control;

import io.ratisfailover.Epoch;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.PendingSwitchover;
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
import io.ratisfailover.spi.ReplicaInfo;
import io.ratisfailover.spi.Upstream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The member agent's decision (docs/design.md §4.1, §4.2, §4.4–§4.8): a pure function from the applied state,
 * the local lease and the last database observation to the actions to take now, the reason, and
 * when to look again. The runtime performs the actions; nothing here blocks or reads a clock.
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
   * @param unconfirmedSync members a synchronous-standby record this agent sent may still add: it was
   *     neither seen applied nor overtaken by a later command of this agent's
   */
  record Input(MemberId self, MemberKind kind, String clusterName, ClusterState state, boolean booted, Timing timing,
      long now, Instant wallNow, Lease lease, long nextRenewAt, Optional<DatabaseStatus> db,
      Optional<FenceReason> fencedFor, OptionalLong primaryDownSince, OptionalLong candidateSince,
      Map<MemberId, Lsn> syncBarriers, Optional<PrimaryTopology> configured, Optional<Epoch> promotedEpoch,
      boolean writableOperationInFlight, Set<MemberId> unconfirmedSync, Optional<ClusterCa> ca) {
    Input {
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(ca, "ca");
      syncBarriers = Map.copyOf(syncBarriers);
      unconfirmedSync = Set.copyOf(unconfirmedSync);
    }

    /** A member of an unauthenticated cluster. */
    Input(MemberId self, MemberKind kind, String clusterName, ClusterState state, boolean booted, Timing timing,
        long now, Instant wallNow, Lease lease, long nextRenewAt, Optional<DatabaseStatus> db,
        Optional<FenceReason> fencedFor, OptionalLong primaryDownSince, OptionalLong candidateSince,
        Map<MemberId, Lsn> syncBarriers, Optional<PrimaryTopology> configured, Optional<Epoch> promotedEpoch,
        boolean writableOperationInFlight, Set<MemberId> unconfirmedSync) {
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
    return s.isPrimary(in.self(), s.epoch()) ? asPrimary(in, in.db().get(), next) : asNonPrimary(in, in.db().get(), next);
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

  private static Decision asPrimary(Input in, DatabaseStatus db, long next) {
    ClusterState s = in.state();
    Epoch epoch = s.epoch();
    List<Action> actions = new ArrayList<>();
    if (Ticks.reached(in.now(), in.nextRenewAt())) {
      actions.add(new Action.Submit(new Command.Renew(epoch, in.timing().leaseDuration().toMillis())));
    } else {
      next = Ticks.earlier(next, in.nextRenewAt());
    }
    boolean leaseValid = in.lease().isValid(in.now(), s, in.self());
    if (leaseValid) {
      next = Ticks.earlier(next, in.lease().expiresAt());
    }
    boolean promoted = promotedInCurrentEpoch(in, db);

    Optional<PendingSwitchover> switchover = s.switchover().filter(w -> w.isDue(in.wallNow()));
    if (switchover.isPresent()) {
      if (!isStopped(db) || in.writableOperationInFlight()) {
        // A server that does not answer (UNKNOWN) may still take writes: it is stopped like a running one,
        // and a clean stop that did not work is followed by an immediate one.
        boolean cleanStopFailed = in.fencedFor().filter(r -> r == FenceReason.SWITCHOVER).isPresent();
        actions.add(new Action.Fence(cleanStopFailed ? FenceMode.IMMEDIATE : FenceMode.FAST, FenceReason.SWITCHOVER,
            "switchover: stopping cleanly so that the standbys receive all WAL"));
        return new Decision(actions, "switchover requested: stopping the primary", next);
      }
      Optional<Lsn> finalPosition = db.position().equals(Lsn.ZERO) ? Optional.empty() : Optional.of(db.position());
      actions.add(new Action.Submit(new Command.Release(epoch, finalPosition, "switchover")));
      return new Decision(actions, "switchover: stopped at " + finalPosition.map(Lsn::toString).orElse("an unknown position")
          + ", releasing epoch " + epoch, next);
    }
    if (s.paused()) {
      return new Decision(actions, "paused: renewing the lease, taking no automatic action", next);
    }
    PrimaryTopology restartTopology = topology(s, in.self(), s.synchronousStandbys());
    switch (db.state()) {
      case RUNNING_PRIMARY:
        // The lease is valid here: a writable database without one was fenced before this point.
        if (!s.currentEntry().map(HistoryEntry::promoted).orElse(false)) {
          actions.add(new Action.Submit(new Command.RecordPromotion(epoch, Math.max(1, db.timeline()), db.writeLsn())));
        }
        actions.addAll(synchronousStandbys(in, db));
        return new Decision(actions, "primary for epoch " + epoch, next);

      case RUNNING_REPLICA:
        if (promoted) {
          return giveUp(in, db, actions, "database runs as a standby although it was promoted", next);
        }
        if (candidateFor(in) > in.state().settings().switchoverTimeout().toNanos()) {
          return giveUp(in, db, actions, "could not promote within switchover_timeout", next);
        }
        if (!leaseValid) {
          return new Decision(actions, "elected for epoch " + epoch + ": waiting for the lease before promoting", next);
        }
        // A promotion must finish well inside the lease: start only with at least half of it left.
        if (in.lease().expiresAt() - in.now() < in.timing().leaseDuration().toNanos() / 2) {
          return new Decision(actions, "elected for epoch " + epoch + ": waiting for a fresher lease before promoting", next);
        }
        Optional<Lsn> replayAtLeast = s.currentEntry().flatMap(HistoryEntry::switchLsn);
        actions.add(new Action.Operate(new Operation.Promote(new Promotion(topology(s, in.self(), Set.of()), replayAtLeast))));
        return new Decision(actions, "elected for epoch " + epoch + ": promoting", next);

      default:
        return asPrimaryNotRunning(in, db, actions, leaseValid, promoted, restartTopology, next);
    }
  }

  private static Decision asPrimaryNotRunning(Input in, DatabaseStatus db, List<Action> actions, boolean leaseValid,
      boolean promoted, PrimaryTopology restartTopology, long next) {
    if (!promoted) {
      return asCandidateNotRunning(in, db, actions, leaseValid, restartTopology, next);
    }
    ClusterState s = in.state();
    Epoch epoch = s.epoch();
    Optional<FenceReason> fenced = in.fencedFor();
    if (fenced.filter(r -> r == FenceReason.DATABASE_FAILED || r == FenceReason.GIVE_UP).isPresent()) {
      return giveUp(in, db, actions, "database failed: " + describe(db), next);
    }
    if (fenced.isPresent() && db.state() == DatabaseState.STOPPED) {
      if (!leaseValid) {
        return new Decision(actions, "fenced (" + fenced.get() + "): waiting for the lease to come back", next);
      }
      actions.add(new Action.Operate(new Operation.StartPrimary(restartTopology)));
      return new Decision(actions, "lease valid again after fencing: restarting the primary in place", next);
    }
    long downFor = in.primaryDownSince().isPresent() ? in.now() - in.primaryDownSince().getAsLong() : 0;
    long grace = s.settings().primaryStartTimeout().toNanos();
    if (db.state() == DatabaseState.STARTING || db.state() == DatabaseState.UNKNOWN) {
      // A server in crash recovery, or one that does not answer, gets at least one ttl.
      grace = Math.max(grace, in.timing().ttl().toNanos());
    }
    if (downFor < grace && leaseValid) {
      if (db.state() == DatabaseState.STOPPED) {
        actions.add(new Action.Operate(new Operation.StartPrimary(restartTopology)));
        return new Decision(actions, "database stopped: restarting it in place (primary_start_timeout)", next);
      }
      return new Decision(actions, "database is " + db.state() + ": waiting up to "
          + (grace - downFor) / 1_000_000 + " ms before giving up epoch " + epoch, next);
    }
    actions.add(new Action.Fence(FenceMode.IMMEDIATE, FenceReason.DATABASE_FAILED,
        "database failed (" + describe(db) + "): fencing before releasing epoch " + epoch));
    return new Decision(actions, "database failed: fencing, then releasing epoch " + epoch, next);
  }

  /**
   * Elected, not promoted yet, and the database is not running: start it as a standby so that it
   * can be promoted, bootstrap a brand-new cluster, or give the epoch up when that cannot work.
   */
  private static Decision asCandidateNotRunning(Input in, DatabaseStatus db, List<Action> actions, boolean leaseValid,
      PrimaryTopology topology, long next) {
    Epoch epoch = in.state().epoch();
    if (in.fencedFor().filter(r -> r == FenceReason.GIVE_UP).isPresent()) {
      return giveUp(in, db, actions, "could not become primary", next);
    }
    switch (db.state()) {
      case ABSENT:
        if (in.state().history().size() == 1) {
          if (!leaseValid) {
            return new Decision(actions, "elected to bootstrap the cluster: waiting for the lease", next);
          }
          actions.add(new Action.Operate(new Operation.Bootstrap(topology)));
          return new Decision(actions, "bootstrapping the cluster's first database", next);
        }
        return giveUp(in, db, actions, "no data directory to promote", next);
      case STOPPED:
        if (!leaseValid) {
          return new Decision(actions, "elected for epoch " + epoch + ": waiting for the lease before starting the database", next);
        }
        actions.add(new Action.Operate(new Operation.StartReplica(Optional.empty())));
        return new Decision(actions, "elected for epoch " + epoch + " with a stopped database: starting it to promote it", next);
      default:
        if (candidateFor(in) > in.state().settings().switchoverTimeout().toNanos()) {
          return giveUp(in, db, actions, "database did not come up within switchover_timeout (" + describe(db) + ")", next);
        }
        return new Decision(actions, "elected for epoch " + epoch + ": waiting for the database (" + describe(db) + ")", next);
    }
  }

  /**
   * Gives the epoch up. The others may elect at once on a release, so a database that is or may
   * still become writable (an operation that makes it so is running, or its state is unknown) is
   * fenced first, and the release waits until it is stopped, absent or a standby with nothing running.
   */
  private static Decision giveUp(Input in, DatabaseStatus db, List<Action> actions, String why, long next) {
    Epoch epoch = in.state().epoch();
    boolean settled = !in.writableOperationInFlight() && (isStopped(db) || db.isStandby());
    if (!settled) {
      actions.add(new Action.Fence(FenceMode.IMMEDIATE, FenceReason.GIVE_UP, why + ": fencing before releasing epoch " + epoch));
      return new Decision(actions, "giving up epoch " + epoch + " (" + why + "): fencing first", next);
    }
    actions.add(new Action.Submit(new Command.Release(epoch, Optional.empty(), why)));
    return new Decision(actions, "giving up epoch " + epoch + ": " + why, next);
  }

  private static boolean isStopped(DatabaseStatus db) {
    return db.state() == DatabaseState.STOPPED || db.state() == DatabaseState.ABSENT;
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
    if (!s.currentEntry().map(HistoryEntry::promoted).orElse(false)) {
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
   * Keeps the recorded synchronous standbys a subset of the standbys that confirm every commit
   * (docs/design.md §4.7): shrink the record before the database's setting, grow the setting before the record.
   */
  private static List<Action> synchronousStandbys(Input in, DatabaseStatus db) {
    ClusterState s = in.state();
    Set<MemberId> recorded = s.synchronousStandbys();
    Set<MemberId> wanted = desiredSynchronous(s, in.self(), db);
    // A record we sent may still apply (its answer was lost): narrowing the database's setting before
    // a newer, smaller record applied could leave a member recorded that no longer confirms commits.
    Set<MemberId> mayBeRecorded = new TreeSet<>(recorded);
    mayBeRecorded.addAll(in.unconfirmedSync());
    if (!wanted.containsAll(mayBeRecorded)) {
      Set<MemberId> keep = recorded.stream().filter(wanted::contains).collect(Collectors.toUnmodifiableSet());
      return List.of(new Action.Submit(new Command.SetSynchronous(s.epoch(), keep)));
    }
    PrimaryTopology topology = topology(s, in.self(), wanted);
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
  static Set<MemberId> desiredSynchronous(ClusterState s, MemberId self, DatabaseStatus db) {
    if (s.settings().synchronousMode() == SynchronousMode.OFF) {
      return Set.of();
    }
    List<ReplicaInfo> usable = db.replicas().stream()
        .filter(ReplicaInfo::streaming)
        .filter(r -> !r.member().equals(self))
        .filter(r -> s.member(r.member()).filter(MemberRecord::isData).filter(m -> !m.tags().noSync()).isPresent())
        .sorted(Comparator.comparing((ReplicaInfo r) -> !s.synchronousStandbys().contains(r.member()))
            .thenComparing(ReplicaInfo::flushLsn, Comparator.reverseOrder())
            .thenComparing(ReplicaInfo::member))
        .toList();
    Set<MemberId> wanted = new LinkedHashSet<>();
    for (ReplicaInfo r : usable) {
      if (wanted.size() < s.settings().synchronousNodeCount()) {
        wanted.add(r.member());
      }
    }
    return Set.copyOf(wanted);
  }

  static PrimaryTopology topology(ClusterState s, MemberId self, Set<MemberId> synchronous) {
    Set<MemberId> standbys = s.members().values().stream().filter(MemberRecord::isData).map(MemberRecord::id)
        .filter(id -> !id.equals(self)).collect(Collectors.toUnmodifiableSet());
    return new PrimaryTopology(s.epoch(), standbys, synchronous,
        s.settings().synchronousMode() == SynchronousMode.STRICT);
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

  private static long candidateFor(Input in) {
    return in.candidateSince().isPresent() ? in.now() - in.candidateSince().getAsLong() : 0;
  }

  private static String describe(DatabaseStatus db) {
    return db.detail().isEmpty() ? db.state().toString() : db.state() + ", " + db.detail();
  }

  private static Decision idle(String reason, long next) {
    return new Decision(List.of(), reason, next);
  }
}

package io.ratisfailover.internal.control;

import io.ratisfailover.Epoch;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.Lsn;
import io.ratisfailover.PendingSwitchover;
import io.ratisfailover.internal.control.Agent.Action;
import io.ratisfailover.internal.control.Agent.Decision;
import io.ratisfailover.internal.control.Agent.FenceReason;
import io.ratisfailover.internal.control.Agent.Input;
import io.ratisfailover.internal.control.Agent.Operation;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.FenceMode;
import io.ratisfailover.spi.PrimaryTopology;
import io.ratisfailover.spi.Promotion;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The agent's decision while this member holds the epoch (docs/design.md §4.4–§4.6): renew the
 * lease, promote once elected, restart in place, hand over for a switchover, or give the epoch up.
 * Part of {@link Agent#decide}; as pure as it.
 */
final class PrimaryDecision {
  private PrimaryDecision() {}

  static Decision decide(Input in, DatabaseStatus db, QuorumElection.Rule quorumRule, long next) {
    ClusterState s = in.state();
    Epoch epoch = s.epoch();
    List<Action> actions = new ArrayList<>();
    boolean promoted = Agent.promotedInCurrentEpoch(in, db);
    if (!promoted) {
      // Quorum commit: the first renewal ends what the record guards, so it waits for the comparison.
      QuorumElection.Check quorum = QuorumElection.check(in, db, quorumRule);
      if (quorum.verdict() == QuorumElection.Verdict.STEP_ASIDE
          || (quorum.verdict() != QuorumElection.Verdict.PROCEED && candidateFor(in) > s.settings().switchoverTimeout().toNanos())) {
        return giveUp(in, db, actions, quorum.reason(), next);
      }
      if (quorum.verdict() == QuorumElection.Verdict.DETACH) {
        actions.add(new Action.Operate(new Operation.StartReplica(Optional.empty())));
      }
      if (quorum.verdict() != QuorumElection.Verdict.PROCEED) {
        return new Decision(actions, "elected for epoch " + epoch + ": " + quorum.reason(), next);
      }
    }
    if (Ticks.reached(in.now(), in.nextRenewAt())) {
      actions.add(new Action.Submit(new Command.Renew(epoch, in.timing().leaseDuration().toMillis())));
    } else {
      next = Ticks.earlier(next, in.nextRenewAt());
    }
    boolean leaseValid = in.lease().isValid(in.now(), s, in.self());
    if (leaseValid) {
      next = Ticks.earlier(next, in.lease().expiresAt());
    }

    Optional<PendingSwitchover> switchover = s.switchover().filter(w -> w.isDue(in.wallNow()));
    if (switchover.isPresent()) {
      if (!isStopped(db) || in.writableOperationInFlight()) {
        // A server that does not answer (UNKNOWN) may still take writes: it is stopped like a running one,
        // and a clean stop that did not work is followed by an immediate one.
        boolean cleanStopFailed = in.fencedFor().filter(r -> r == FenceReason.SWITCHOVER).isPresent();
        long drainEnds = Ticks.plus(in.drainingSince().orElse(in.now()), in.switchoverDrain());
        if (!cleanStopFailed && db.isPrimary() && !in.writableOperationInFlight() && !Ticks.reached(in.now(), drainEnds)) {
          // The routers' hold-off runs while the server still takes writes, instead of after it stopped.
          actions.add(new Action.Drain());
          return new Decision(actions, "switchover requested: answering 503 on /primary for another "
              + (drainEnds - in.now()) / 1_000_000 + " ms before stopping, so that routers drop this server first",
              Ticks.earlier(next, drainEnds));
        }
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
    PrimaryTopology restartTopology = Agent.topology(s, in.self(), s.synchronousStandbys(),
        s.synchronousQuorumRecorded() ? s.synchronousQuorum() : 0);
    switch (db.state()) {
      case RUNNING_PRIMARY:
        // The lease is valid here: a writable database without one was fenced before this point.
        if (!s.currentEntry().map(HistoryEntry::promoted).orElse(false)) {
          actions.add(new Action.Submit(new Command.RecordPromotion(epoch, Math.max(1, db.timeline()), db.writeLsn())));
        }
        actions.addAll(SynchronousStandbys.actions(in, db));
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
        if (!leaseFreshEnough(in)) {
          return new Decision(actions, "elected for epoch " + epoch + ": waiting for a fresher lease before promoting", next);
        }
        Optional<Lsn> replayAtLeast = s.currentEntry().flatMap(HistoryEntry::switchLsn);
        actions.add(new Action.Operate(new Operation.Promote(new Promotion(Agent.topology(s, in.self(), Set.of()), replayAtLeast))));
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
      return giveUp(in, db, actions, "database failed: " + Agent.describe(db), next);
    }
    if (fenced.isPresent() && db.state() == DatabaseState.STOPPED) {
      if (!leaseValid || !leaseFreshEnough(in)) {
        return new Decision(actions, "fenced (" + fenced.get() + "): waiting for a fresh lease to come back", next);
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
        if (!leaseFreshEnough(in)) {
          return new Decision(actions, "database stopped: waiting for a fresher lease before restarting it", next);
        }
        actions.add(new Action.Operate(new Operation.StartPrimary(restartTopology)));
        return new Decision(actions, "database stopped: restarting it in place (primary_start_timeout)", next);
      }
      return new Decision(actions, "database is " + db.state() + ": waiting up to "
          + (grace - downFor) / 1_000_000 + " ms before giving up epoch " + epoch, next);
    }
    actions.add(new Action.Fence(FenceMode.IMMEDIATE, FenceReason.DATABASE_FAILED,
        "database failed (" + Agent.describe(db) + "): fencing before releasing epoch " + epoch));
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
          return giveUp(in, db, actions, "database did not come up within switchover_timeout (" + Agent.describe(db) + ")", next);
        }
        return new Decision(actions, "elected for epoch " + epoch + ": waiting for the database (" + Agent.describe(db) + ")", next);
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

  /**
   * Whether at least half the lease is left: a promotion or a start of the primary must finish well
   * inside it. A server started on the last moments of a lease is stopped by the watchdog as the
   * lease runs out, while the start still waits for it (found in a benchmark run: 60 s without a
   * primary).
   */
  private static boolean leaseFreshEnough(Input in) {
    return in.lease().expiresAt() - in.now() >= in.timing().leaseDuration().toNanos() / 2;
  }

  private static boolean isStopped(DatabaseStatus db) {
    return db.state() == DatabaseState.STOPPED || db.state() == DatabaseState.ABSENT;
  }

  private static long candidateFor(Input in) {
    return in.candidateSince().isPresent() ? in.now() - in.candidateSince().getAsLong() : 0;
  }
}

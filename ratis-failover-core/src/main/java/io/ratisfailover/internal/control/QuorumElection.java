package io.ratisfailover.internal.control;

import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.internal.control.Agent.Input;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.MemberRecord;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.DatabaseStatus;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Whether a member elected through a quorum record may take its lease (docs/design.md §4.7). Each
 * acknowledged commit is on at least {@code q} of the {@code k} recorded standbys, so any
 * {@code k - q + 1} of them include one that holds it. Once the election entry is applied the old
 * primary can acknowledge nothing more through a standby that has detached from it, which every
 * standby does once it applies that entry ({@link Agent}): a detached standby's position observed
 * after the election is final. The candidate takes the lease
 * — the step after which the record no longer guards anything — only when it has heard such final
 * positions from {@code k - q + 1} members of the set, itself included (detached as well), and none is ahead of it:
 * then it holds every acknowledged commit. A member ahead of it makes it step aside; the arbiter
 * then elects the most advanced. Part of the agent's decision; as pure as it.
 */
final class QuorumElection {
  private QuorumElection() {}

  enum Verdict {
    /** Nothing to check, or every acknowledged commit is known to be here. */
    PROCEED,
    /** Too few final positions heard yet. */
    WAIT,
    /** Its own position is not final while it follows an upstream: detach first. */
    DETACH,
    /** A member of the quorum set has WAL this member lacks. */
    STEP_ASIDE
  }

  record Check(Verdict verdict, String reason) {}

  /** How many of the quorum set, itself included, a candidate must hear from: {@link SyncRecord#mustHear()} in production. */
  interface Rule {
    int mustHear(SyncRecord record);
  }

  static Check check(Input in, DatabaseStatus db, Rule rule) {
    ClusterState s = in.state();
    MemberId self = in.self();
    if (s.settings().synchronousMode() == SynchronousMode.OFF || s.leaseTakenInEpoch()
        || s.holdsEveryAcknowledgedCommit(self)) {
      return new Check(Verdict.PROCEED, "");
    }
    SyncRecord record = SyncRecord.of(s);
    if (!record.members().contains(self)) {
      return new Check(Verdict.STEP_ASIDE, "not known to hold every acknowledged commit (synchronous standbys: " + record + ")");
    }
    if (db.state() == DatabaseState.STOPPED) {
      // Stopped (a restart, a crash), its position is unknown until it runs: start it detached.
      return new Check(Verdict.DETACH, "starting the stopped database detached to learn its own WAL position");
    }
    if (db.state() != DatabaseState.RUNNING_REPLICA) {
      return new Check(Verdict.WAIT, "own WAL position unknown while the database is " + db.state());
    }
    if (db.upstream().isPresent()) {
      // Compared while still receiving, a position that is behind now may not be behind later: the
      // verdict would flip after the candidate stepped aside.
      return new Check(Verdict.DETACH, "detaching from " + db.upstream().get() + " to compare a final position");
    }
    Lsn own = db.position();
    long electedAt = s.lastRenewalIndex();
    Set<MemberId> heard = new TreeSet<>(Set.of(self));
    for (MemberId m : record.members()) {
      Long after = in.sampledAfter().get(m);
      Optional<DatabaseStatus> status = s.member(m).flatMap(MemberRecord::status);
      // Final: observed after the election, and detached from any upstream (Agent), so that not even
      // an old primary whose agent died can send it more.
      if (m.equals(self) || after == null || after < electedAt || status.isEmpty()
          || status.get().state() != DatabaseState.RUNNING_REPLICA || status.get().upstream().isPresent()) {
        continue;
      }
      if (own.isBefore(status.get().position())) {
        return new Check(Verdict.STEP_ASIDE, m + " of the quorum set has WAL up to " + status.get().position()
            + ", beyond this member's " + own);
      }
      heard.add(m);
    }
    int needed = rule.mustHear(record);
    if (heard.size() < needed) {
      return new Check(Verdict.WAIT, "heard final positions from " + heard + " of synchronous standbys " + record
          + " since the election; need " + needed);
    }
    return new Check(Verdict.PROCEED, "");
  }
}

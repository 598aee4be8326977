package io.ratisfailover.internal.control;

import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.MemberRecord;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.DatabaseStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which data member to elect (docs/design.md §4.5): eligible members are standbys that reported recently,
 * are not tagged nofailover, are not too far behind and, in synchronous mode, are recorded as
 * known to hold every acknowledged commit; among them the most WAL wins, then the higher failover
 * priority, then the lower id. A member must also be caught up with the log, or it could not learn
 * that it was elected.
 */
public final class Candidates {
  private Candidates() {}

  /** Whether a member's last report lets it be elected now. */
  public enum Freshness {
    FRESH(null),
    SILENT("no recent status report"),
    /** It reports, but its Raft log does not advance: it would never learn that it was elected. */
    BEHIND("its Raft log is more than a ttl behind the cluster's");

    private final String refusal;

    Freshness(String refusal) {
      this.refusal = refusal;
    }

    /** How fresh {@code report} is at tick {@code now}: reported within a ttl, with a log at most a ttl behind. */
    public static Freshness of(Report report, long now, Timing timing) {
      long ttl = timing.ttl().toNanos();
      if (report == null || !Ticks.before(now, Ticks.plus(report.appliedAt(), timing.ttl()))) {
        return SILENT;
      }
      return report.logLagNanos() <= ttl ? FRESH : BEHIND;
    }
  }

  /** The chosen member, or none with every member's reason for not being chosen. */
  record Choice(Optional<MemberId> chosen, List<String> refusals) {
    String explain() {
      return refusals.isEmpty() ? "no data members" : String.join("; ", refusals);
    }
  }

  /**
   * @param fresh whether a member's last report is recent enough to trust
   * @param exclude the member that is giving the role up, if any
   * @param preferred the operator's choice, taken when eligible
   */
  static Choice choose(ClusterState state, Map<MemberId, Freshness> fresh, Optional<MemberId> exclude,
      Optional<MemberId> preferred) {
    boolean synchronous = state.settings().synchronousMode() != SynchronousMode.OFF;
    Lsn reference = referencePosition(state);
    List<MemberRecord> eligible = new ArrayList<>();
    List<String> refusals = new ArrayList<>();
    for (MemberRecord m : state.members().values()) {
      if (!m.isData() || exclude.filter(m.id()::equals).isPresent()) {
        continue;
      }
      String refusal = refusal(m, fresh.getOrDefault(m.id(), Freshness.SILENT), synchronous, state, reference);
      if (refusal == null) {
        eligible.add(m);
      } else {
        refusals.add(m.id() + ": " + refusal);
      }
    }
    if (preferred.isPresent()) {
      for (MemberRecord m : eligible) {
        if (m.id().equals(preferred.get())) {
          return new Choice(Optional.of(m.id()), refusals);
        }
      }
    }
    return new Choice(eligible.stream().min(BEST_FIRST).map(MemberRecord::id), refusals);
  }

  /**
   * The first election of a new cluster: members that already hold data win over empty ones (the
   * cluster adopts existing data); empty ones qualify only when nobody has data, and the elected
   * one then bootstraps.
   */
  static Choice chooseFirst(ClusterState state, Map<MemberId, Freshness> fresh) {
    List<MemberRecord> withData = new ArrayList<>();
    List<MemberRecord> empty = new ArrayList<>();
    List<String> refusals = new ArrayList<>();
    for (MemberRecord m : state.members().values()) {
      if (!m.isData()) {
        continue;
      }
      if (fresh.getOrDefault(m.id(), Freshness.SILENT) != Freshness.FRESH || m.status().isEmpty()) {
        refusals.add(m.id() + ": no recent status report");
      } else if (m.tags().excludedFromFailover()) {
        refusals.add(m.id() + ": tagged nofailover");
      } else if (m.status().get().state() == DatabaseState.RUNNING_REPLICA) {
        withData.add(m);
      } else if (m.status().get().state() == DatabaseState.ABSENT) {
        empty.add(m);
      } else {
        refusals.add(m.id() + ": database is " + m.status().get().state());
      }
    }
    Optional<MemberRecord> chosen = withData.stream()
        .min(Comparator.comparingLong((MemberRecord m) -> -m.status().get().timeline()).thenComparing(BEST_FIRST));
    if (chosen.isEmpty()) {
      chosen = empty.stream().min(BY_PRIORITY_THEN_ID);
    }
    return new Choice(chosen.map(MemberRecord::id), refusals);
  }

  /** Why {@code member} could not be elected now, or empty if it could. */
  public static Optional<String> refusal(ClusterState state, MemberId member, Freshness fresh) {
    Optional<MemberRecord> m = state.member(member);
    if (m.isEmpty()) {
      return Optional.of("not a member");
    }
    if (!m.get().isData()) {
      return Optional.of("a witness");
    }
    boolean synchronous = state.settings().synchronousMode() != SynchronousMode.OFF;
    return Optional.ofNullable(refusal(m.get(), fresh, synchronous, state, referencePosition(state)));
  }

  private static String refusal(MemberRecord m, Freshness fresh, boolean synchronous, ClusterState state, Lsn reference) {
    if (m.tags().excludedFromFailover()) {
      return "tagged nofailover";
    }
    if (m.status().isEmpty()) {
      return Freshness.SILENT.refusal;
    }
    if (fresh != Freshness.FRESH) {
      return fresh.refusal;
    }
    DatabaseStatus status = m.status().get();
    if (status.state() != DatabaseState.RUNNING_REPLICA) {
      return "database is " + status.state();
    }
    if (synchronous) {
      // Lag does not matter for a member known to hold every acknowledged commit: a recorded
      // synchronous standby, or the last lease holder back as a standby with all its WAL.
      // A member of a recorded quorum may be elected; it then compares positions before it takes the
      // lease (QuorumElection).
      return state.electableInSynchronousMode(m.id()) ? null : "not a recorded synchronous standby";
    }
    long lag = reference.bytesAfter(status.position());
    if (lag > state.settings().maximumLagOnFailover()) {
      return "lags " + lag + " bytes, more than maximum_lag_on_failover " + state.settings().maximumLagOnFailover();
    }
    return null;
  }

  /** The furthest WAL position the last lease holder is known to have reached. */
  private static Lsn referencePosition(ClusterState state) {
    Lsn reference = state.handoverLsn().orElse(Lsn.ZERO);
    Optional<DatabaseStatus> status = state.lastLeaseHolder().flatMap(state::member).flatMap(MemberRecord::status);
    if (status.isPresent() && status.get().isPrimary()) {
      reference = Lsn.max(reference, status.get().position());
    }
    return reference;
  }

  private static final Comparator<MemberRecord> BY_PRIORITY_THEN_ID =
      Comparator.comparingInt((MemberRecord m) -> -m.tags().failoverPriority()).thenComparing(MemberRecord::id);

  private static final Comparator<MemberRecord> BEST_FIRST =
      Comparator.comparing((MemberRecord m) -> m.status().get().position(), Comparator.reverseOrder())
          .thenComparing(BY_PRIORITY_THEN_ID);
}

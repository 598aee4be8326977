package io.ratisfailover.internal.control;

import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.SynchronousMode;
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
 * Which data member to elect (DESIGN §4.5): eligible members are standbys that reported recently,
 * are not tagged nofailover, are not too far behind and, in synchronous mode, are recorded as
 * synchronous (or are the last primary, back as a standby); among them the most WAL wins, then the higher failover priority, then the lower id.
 */
public final class Candidates {
  private Candidates() {}

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
  static Choice choose(ClusterState state, Map<MemberId, Boolean> fresh, Optional<MemberId> exclude,
      Optional<MemberId> preferred) {
    boolean synchronous = state.settings().synchronousMode() != SynchronousMode.OFF;
    Lsn reference = referencePosition(state);
    List<MemberRecord> eligible = new ArrayList<>();
    List<String> refusals = new ArrayList<>();
    for (MemberRecord m : state.members().values()) {
      if (!m.isData() || exclude.filter(m.id()::equals).isPresent()) {
        continue;
      }
      String refusal = refusal(m, fresh.getOrDefault(m.id(), false), synchronous, state, reference);
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
  static Choice chooseFirst(ClusterState state, Map<MemberId, Boolean> fresh) {
    List<MemberRecord> withData = new ArrayList<>();
    List<MemberRecord> empty = new ArrayList<>();
    List<String> refusals = new ArrayList<>();
    for (MemberRecord m : state.members().values()) {
      if (!m.isData()) {
        continue;
      }
      if (!fresh.getOrDefault(m.id(), false) || m.status().isEmpty()) {
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
  public static Optional<String> refusal(ClusterState state, MemberId member, boolean fresh) {
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

  private static String refusal(MemberRecord m, boolean fresh, boolean synchronous, ClusterState state, Lsn reference) {
    if (m.tags().excludedFromFailover()) {
      return "tagged nofailover";
    }
    if (m.status().isEmpty() || !fresh) {
      return "no recent status report";
    }
    DatabaseStatus status = m.status().get();
    if (status.state() != DatabaseState.RUNNING_REPLICA) {
      return "database is " + status.state();
    }
    if (synchronous) {
      // A recorded synchronous standby holds every acknowledged commit: lag does not matter. So does
      // the last primary itself, back as a standby (nobody has been primary since, so it followed
      // nobody), when its WAL reaches where it released: it may be the only one, when it ran with no
      // synchronous standby to record.
      return state.synchronousStandbys().contains(m.id()) || isLastPrimaryWithItsWal(m, status, state) ? null
          : "not a recorded synchronous standby";
    }
    long lag = reference.bytesAfter(status.position());
    if (lag > state.settings().maximumLagOnFailover()) {
      return "lags " + lag + " bytes, more than maximum_lag_on_failover " + state.settings().maximumLagOnFailover();
    }
    return null;
  }

  private static boolean isLastPrimaryWithItsWal(MemberRecord m, DatabaseStatus status, ClusterState state) {
    boolean last = !state.history().isEmpty() && state.history().get(state.history().size() - 1).member().equals(m.id());
    return last && state.releasedLsn().map(released -> !status.position().isBefore(released)).orElse(true);
  }

  /** The furthest WAL position the last primary is known to have reached. */
  private static Lsn referencePosition(ClusterState state) {
    Lsn reference = state.releasedLsn().orElse(Lsn.ZERO);
    if (!state.history().isEmpty()) {
      MemberId last = state.history().get(state.history().size() - 1).member();
      Optional<DatabaseStatus> status = state.member(last).flatMap(MemberRecord::status);
      if (status.isPresent() && status.get().isPrimary()) {
        reference = Lsn.max(reference, status.get().position());
      }
    }
    return reference;
  }

  private static final Comparator<MemberRecord> BY_PRIORITY_THEN_ID =
      Comparator.comparingInt((MemberRecord m) -> -m.tags().failoverPriority()).thenComparing(MemberRecord::id);

  private static final Comparator<MemberRecord> BEST_FIRST =
      Comparator.comparing((MemberRecord m) -> m.status().get().position(), Comparator.reverseOrder())
          .thenComparing(BY_PRIORITY_THEN_ID);
}

package io.ratisfailover.internal.control;

import io.ratisfailover.ClusterView;
import io.ratisfailover.LocalView;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.MemberRole;
import io.ratisfailover.MemberView;
import io.ratisfailover.Ticker;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.MemberRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The read-only views a member gives its callers (the API, the probe): {@link LocalView} of this
 * member and {@link ClusterView} of the replicated state, built from the runtime's latest published
 * snapshot at the moment they are asked for.
 */
public final class MemberViews {
  private final MemberId self;
  private final MemberKind kind;
  private final String clusterName;
  private final Timing timing;
  private final Ticker ticker;
  private final Supplier<LocalSnapshot> snapshot;
  private final LongSupplier currentTerm;

  /** @param currentTerm the Raft term this member's server is in (0 before it runs) */
  public MemberViews(MemberId self, MemberKind kind, String clusterName, Timing timing, Ticker ticker,
      Supplier<LocalSnapshot> snapshot, LongSupplier currentTerm) {
    this.self = self;
    this.kind = kind;
    this.clusterName = clusterName;
    this.timing = timing;
    this.ticker = ticker;
    this.snapshot = snapshot;
    this.currentTerm = currentTerm;
  }

  public LocalView local() {
    LocalSnapshot s = snapshot.get();
    long now = ticker.nanoTime();
    return new LocalView(self, kind, clusterName, s.role(), s.state().epoch(), s.servingPrimary(now),
        Duration.ofNanos(s.leaseRemainingNanos(now)), s.database(), s.reason(), s.leader(), s.state().paused(),
        Duration.ofNanos(s.lastCycleNanos()), Duration.ofNanos(Math.max(0, now - s.lastCycleAt())),
        s.predecessorSilent(now, timing.maxClockDrift()));
  }

  public ClusterView cluster() {
    LocalSnapshot s = snapshot.get();
    ClusterState state = s.state();
    long now = ticker.nanoTime();
    List<MemberView> members = new ArrayList<>();
    for (MemberRecord m : state.members().values()) {
      Report report = s.reports().get(m.id());
      Optional<Duration> age = report == null ? Optional.empty() : Optional.of(Duration.ofNanos(now - report.appliedAt()));
      // Data members report every loop_wait, witnesses every ttl.
      Duration silence = m.isData() ? timing.ttl() : timing.ttl().multipliedBy(2);
      boolean reporting = age.map(a -> a.compareTo(silence) <= 0).orElse(false);
      members.add(new MemberView(m.id(), m.kind(), m.peer().raftAddress(), role(state, m), m.tags(), m.apiUrl(),
          m.attributes(), m.status(), age, reporting));
    }
    return new ClusterView(state.clusterName(), state.initialized(), state.epoch(), state.primary(), state.paused(),
        state.settings(), state.synchronousStandbys(), state.switchover(), members, state.history(), s.raftLeader(),
        currentTerm.getAsLong(), s.appliedIndex());
  }

  private static MemberRole role(ClusterState state, MemberRecord m) {
    if (!m.isData()) {
      return MemberRole.WITNESS;
    }
    if (state.primary().filter(m.id()::equals).isPresent()) {
      return MemberRole.PRIMARY;
    }
    return state.synchronousStandbys().contains(m.id()) ? MemberRole.SYNC_STANDBY : MemberRole.REPLICA;
  }
}

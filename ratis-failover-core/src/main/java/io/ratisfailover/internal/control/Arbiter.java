package io.ratisfailover.internal.control;

import io.ratisfailover.Epoch;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.PendingSwitchover;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.state.ClusterCa;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.MemberRecord;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The failover controller that runs on the Raft leader: a pure function from the applied state
 * and this node's own timing facts to at most one action, with its reason and the time to look
 * again (docs/design.md §4.3). It never trusts another node's clock: the lease of the primary is measured
 * from the moment <em>this</em> node applied the last renewal.
 */
final class Arbiter {
  /** How many ttl a leader may go unheard by every data member before it hands leadership over. */
  static final int UNHEARD_TTLS = 2;

  private Arbiter() {}

  /**
   * What the arbiter knows besides the replicated state; all ticks are this node's.
   *
   * @param releasedAfterSilence when the entry applied at {@code renewalAppliedAt} was a release,
   *     how long its sender said it had not answered 200 before it sent it (by its clock); else zero
   */
  record Input(ClusterState state, MemberId self, String clusterName, Timing timing, long now, long leaderSince,
      long renewalAppliedAt, Duration releasedAfterSilence, Map<MemberId, Report> reports, Optional<ClusterCa> ca) {
    Input {
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(releasedAfterSilence, "releasedAfterSilence");
      Objects.requireNonNull(ca, "ca");
      reports = Map.copyOf(reports);
    }

    /** The arbiter of an unauthenticated cluster, the release's silence unknown. */
    Input(ClusterState state, MemberId self, String clusterName, Timing timing, long now, long leaderSince,
        long renewalAppliedAt, Map<MemberId, Report> reports) {
      this(state, self, clusterName, timing, now, leaderSince, renewalAppliedAt, Duration.ZERO, reports, Optional.empty());
    }

    /** The release's silence unknown. */
    Input(ClusterState state, MemberId self, String clusterName, Timing timing, long now, long leaderSince,
        long renewalAppliedAt, Map<MemberId, Report> reports, Optional<ClusterCa> ca) {
      this(state, self, clusterName, timing, now, leaderSince, renewalAppliedAt, Duration.ZERO, reports, ca);
    }
  }

  sealed interface Action {
    record Submit(Command command) implements Action {}

    record PlaceLeaderAway(MemberId primary) implements Action {}

    /** Hand Raft leadership to another voter, lowering this one's priority: no data member reaches it. */
    record HandLeadershipAway() implements Action {}
  }

  record Decision(Optional<Action> action, String reason, long nextCheckAt) {}

  static Decision decide(Input in) {
    ClusterState s = in.state();
    long retry = Ticks.plus(in.now(), in.timing().loopWait());
    if (!s.initialized()) {
      // The data members' agents propose the Bootstrap, with their own settings: the arbiter may
      // run on a witness, which has no PostgreSQL settings of its own (issue 11, item 6).
      return new Decision(Optional.empty(), "waiting for a data member to bootstrap cluster " + in.clusterName(), retry);
    }
    if (!s.clusterName().equals(in.clusterName())) {
      return new Decision(Optional.empty(), "configured for cluster " + in.clusterName()
          + " but the Raft group holds cluster " + s.clusterName() + ": doing nothing", retry);
    }
    Optional<String> distrusted = Trust.problem(s, in.ca());
    if (distrusted.isPresent()) {
      return new Decision(Optional.empty(), distrusted.get(), retry);
    }
    Optional<PendingSwitchover> intent = s.switchover();
    if (s.primary().isPresent()) {
      MemberId primary = s.primary().get();
      // A primary configured with a longer lease than this node's (a rolling change of ttl) gets it,
      // plus this node's margin for clock drift.
      Duration asked = Duration.ofMillis(s.leaseMillis()).plus(in.timing().leaseMargin());
      Duration window = in.timing().ttl().compareTo(asked) >= 0 ? in.timing().ttl() : asked;
      long expiry = Ticks.plus(in.renewalAppliedAt(), window);
      if (Ticks.before(in.now(), expiry)) {
        String reason = "primary " + primary + " holds epoch " + s.epoch();
        if (primary.equals(in.self())) {
          if (!mayPlaceLeader(s, in.self())) {
            return new Decision(Optional.empty(), reason + "; the arbiter runs on the primary's host, and hands Raft"
                + " leadership away once the promotion is recorded", Ticks.earlier(expiry, retry));
          }
          return new Decision(Optional.of(new Action.PlaceLeaderAway(primary)),
              reason + "; the arbiter runs on the primary's host", expiry);
        }
        return new Decision(Optional.empty(), reason, expiry);
      }
      if (s.paused() && intent.isEmpty()) {
        return new Decision(Optional.empty(), "lease of " + primary + " expired, but the cluster is paused", retry);
      }
      Candidates.Choice choice = Candidates.choose(s, freshness(in), Optional.of(primary), intent.flatMap(PendingSwitchover::to));
      String why = "lease of " + primary + " (epoch " + s.epoch() + ") expired";
      HistoryEntry.Cause cause = intent.isPresent() ? HistoryEntry.Cause.FAILOVER : HistoryEntry.Cause.LEASE_EXPIRED;
      return unlessUnheard(in, elect(s, choice, cause, why, silentSinceLeaseEnd(in), retry));
    }
    if (s.paused() && intent.isEmpty()) {
      return new Decision(Optional.empty(), "no primary, and the cluster is paused", retry);
    }
    if (s.epoch().equals(Epoch.ZERO)) {
      boolean allReported = s.members().values().stream().filter(MemberRecord::isData)
          .allMatch(m -> freshness(in).get(m.id()) == Candidates.Freshness.FRESH);
      boolean waitedLongEnough = Ticks.reached(in.now(), Ticks.plus(in.leaderSince(), in.timing().ttl()));
      if (!allReported && !waitedLongEnough) {
        return new Decision(Optional.empty(), "waiting for every data member to report before the first election",
            Ticks.earlier(retry, Ticks.plus(in.leaderSince(), in.timing().ttl())));
      }
      return elect(s, Candidates.chooseFirst(s, freshness(in)), HistoryEntry.Cause.BOOTSTRAP,
          "first election of cluster " + s.clusterName(), Duration.ZERO, retry);
    }
    Candidates.Choice choice = Candidates.choose(s, freshness(in), Optional.empty(), intent.flatMap(PendingSwitchover::to));
    String why = s.releaseReason().isEmpty() ? "epoch " + s.epoch() + " has no primary"
        : "the primary of epoch " + s.epoch() + " released it: " + s.releaseReason();
    HistoryEntry.Cause cause = intent.isEmpty() ? HistoryEntry.Cause.RELEASED
        : intent.get().from().isPresent() ? HistoryEntry.Cause.SWITCHOVER : HistoryEntry.Cause.FAILOVER;
    // The state loses its primary only by a release, which the primary sends after it stopped
    // answering 200 (for as long as it says, by its clock): the release's apply here comes later still.
    Duration silent = realTimeSince(in, in.renewalAppliedAt()).plus(realTime(in, in.releasedAfterSilence()));
    return unlessUnheard(in, elect(s, choice, cause, why, silent, retry));
  }

  /**
   * Whether Raft leadership may be moved now that {@code state} names its primary. Not while this
   * leader elected itself and has not promoted yet: Ratis refuses every write while a transfer is
   * pending, and the renewal that gives the new primary its lease is one of them (a standby leads
   * under {@code RaftLeaderPreference.STANDBY}, so in a switchover or failover to that standby the
   * arbiter usually elects itself). A crash of this host before the promotion is recorded costs a
   * Raft election on top of the lease wait, a window of the promotion's length.
   */
  static boolean mayPlaceLeader(ClusterState state, MemberId self) {
    return !state.primary().equals(Optional.of(self)) || state.currentEntry().map(HistoryEntry::promoted).orElse(true);
  }

  /**
   * A leader that could elect nobody and has heard from no data member for {@link #UNHEARD_TTLS}
   * ttl, while leading at least that long, hands Raft leadership over. Its own connections may work
   * while nothing reaches it (a firewall on its Raft port, a one-way partition): its appends then
   * keep every follower from electing another leader, and no report or renewal ever arrives, so the
   * cluster would stay without a primary for as long as that lasts. Handing over is always safe
   * (the new leader waits out any lease); where every data member is down it only moves the wait.
   */
  private static Decision unlessUnheard(Input in, Decision stuck) {
    if (stuck.action().isPresent()) {
      return stuck;
    }
    Duration unheard = in.timing().ttl().multipliedBy(UNHEARD_TTLS);
    if (!Ticks.reached(in.now(), Ticks.plus(in.leaderSince(), unheard))) {
      return stuck;
    }
    boolean heard = in.state().members().values().stream().filter(MemberRecord::isData)
        .map(m -> in.reports().get(m.id()))
        .anyMatch(r -> r != null && Ticks.before(in.now(), Ticks.plus(r.appliedAt(), unheard)));
    if (heard) {
      return stuck;
    }
    return new Decision(Optional.of(new Action.HandLeadershipAway()), stuck.reason() + "; no data member has reached"
        + " this Raft leader for " + unheard.toMillis() + " ms: handing leadership to another member", stuck.nextCheckAt());
  }

  /**
   * A lower bound on how long the primary whose lease expired has not answered 200 on
   * {@code /primary}: it answers only while its lease is valid, and that lease ran at most
   * {@code leaseMillis} on its clock from before this node applied the renewal. With clock rates
   * differing by up to {@code maxClockDrift}, that is at most {@code leaseMillis (1+d)/(1-d)} on
   * this node's clock (the argument of {@link Timing#requiredDriftMargin}).
   */
  private static Duration silentSinceLeaseEnd(Input in) {
    double d = in.timing().maxClockDrift();
    long leaseOnThisClock = (long) Math.ceil(in.state().leaseMillis() * 1_000_000.0 * (1 + d) / (1 - d));
    return realTimeSince(in, Ticks.plus(in.renewalAppliedAt(), Duration.ofNanos(leaseOnThisClock)));
  }

  /** Real time that has at least passed since tick {@code then} of this node's clock; zero if none. */
  private static Duration realTimeSince(Input in, long then) {
    long ticks = in.now() - then;
    if (ticks <= 0) {
      return Duration.ZERO;
    }
    return realTime(in, Duration.ofNanos(ticks));
  }

  /** Real time that has at least passed while some member's clock counted {@code measured}. */
  private static Duration realTime(Input in, Duration measured) {
    return Duration.ofNanos((long) Math.floor(measured.toNanos() / (1 + in.timing().maxClockDrift())));
  }

  private static Decision elect(ClusterState s, Candidates.Choice choice, HistoryEntry.Cause cause, String why,
      Duration predecessorSilent, long retry) {
    if (choice.chosen().isEmpty()) {
      return new Decision(Optional.empty(), why + "; no eligible candidate (" + choice.explain() + ")", retry);
    }
    Epoch next = s.epoch().next();
    String reason = why + "; electing " + choice.chosen().get() + " for epoch " + next;
    return act(new Command.Elect(choice.chosen().get(), next, s.lastRenewalIndex(), cause, why, predecessorSilent),
        reason, retry);
  }

  private static Decision act(Command command, String reason, long next) {
    return new Decision(Optional.of(new Action.Submit(command)), reason, next);
  }

  /** How fresh each data member's last report is, as this node applied it. */
  private static Map<MemberId, Candidates.Freshness> freshness(Input in) {
    Map<MemberId, Candidates.Freshness> fresh = new HashMap<>();
    for (MemberRecord m : in.state().members().values()) {
      fresh.put(m.id(), m.kind() == MemberKind.DATA ? Candidates.Freshness.of(in.reports().get(m.id()), in.now(), in.timing())
          : Candidates.Freshness.SILENT);
    }
    return fresh;
  }
}

package io.ratisfailover.internal.control;

import io.ratisfailover.AdminRejectedException;
import io.ratisfailover.ClusterSettings;
import io.ratisfailover.Epoch;
import io.ratisfailover.FailoverException;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.MemberId;
import io.ratisfailover.NoQuorumException;
import io.ratisfailover.SwitchoverOutcome;
import io.ratisfailover.SwitchoverRequest;
import io.ratisfailover.Ticker;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.MemberRecord;
import io.ratisfailover.internal.state.Rejection;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A member's admin requests (switchover, failover, pause, settings): checked against the member's
 * copy of the replicated state first, so that an operator learns at once why a request cannot
 * succeed, then committed through Raft, where the state machine decides again; a refusal becomes
 * the API's {@link AdminRejectedException} with its reason. A switchover or failover then waits
 * for the new primary to be promoted.
 */
public final class AdminGate {
  private final MemberId self;
  private final Supplier<LocalSnapshot> snapshot;
  private final Submitter submitter;
  private final StateWatchers watchers;
  private final Timing timing;
  private final Ticker ticker;
  private final Clock clock;
  private final BooleanSupplier running;

  /**
   * @param snapshot the member's latest published state
   * @param watchers woken with every applied state, for waiting on the new primary
   * @param running whether the member is started and not closed: requests are refused otherwise
   */
  public AdminGate(MemberId self, Supplier<LocalSnapshot> snapshot, Submitter submitter, StateWatchers watchers,
      Timing timing, Ticker ticker, Clock clock, BooleanSupplier running) {
    this.self = self;
    this.snapshot = snapshot;
    this.submitter = submitter;
    this.watchers = watchers;
    this.timing = timing;
    this.ticker = ticker;
    this.clock = clock;
    this.running = running;
  }

  public SwitchoverOutcome switchover(SwitchoverRequest request, Duration wait) {
    ClusterState state = requireInitialized();
    MemberId primary = state.primary().orElseThrow(() -> new AdminRejectedException(
        AdminRejectedException.Reason.NO_CANDIDATE, "there is no primary to switch over from"));
    if (request.leader().isPresent() && !request.leader().get().equals(primary)) {
      throw new AdminRejectedException(AdminRejectedException.Reason.NOT_PRIMARY,
          "leader name does not match: " + request.leader().get() + " is not the primary, " + primary + " is");
    }
    if (request.candidate().isPresent()) {
      requireEligible(state, request.candidate().get(), primary);
    } else {
      List<String> refusals = refusals(state, primary);
      if (refusals.size() == state.members().values().stream().filter(MemberRecord::isData).count() - 1) {
        throw new AdminRejectedException(AdminRejectedException.Reason.NO_CANDIDATE,
            "no standby is healthy enough to take over from " + primary + " (" + String.join("; ", refusals) + ")");
      }
    }
    Epoch epoch = state.epoch();
    submit(new Command.RequestSwitchover(Optional.of(primary), request.candidate(), epoch, request.scheduledAt()));
    if (request.scheduledAt().filter(at -> at.isAfter(clock.instant())).isPresent()) {
      return SwitchoverOutcome.scheduledLater();
    }
    return awaitNewPrimary(epoch, wait, "switchover from " + primary);
  }

  public SwitchoverOutcome failover(MemberId candidate, Duration wait) {
    ClusterState state = requireInitialized();
    if (state.primary().filter(candidate::equals).isPresent()) {
      throw new AdminRejectedException(AdminRejectedException.Reason.NOT_ELIGIBLE, candidate + " is already the primary");
    }
    requireEligible(state, candidate, state.primary().orElse(null));
    Epoch epoch = state.epoch();
    submit(new Command.RequestSwitchover(Optional.empty(), Optional.of(candidate), epoch, Optional.empty()));
    return awaitNewPrimary(epoch, wait, "failover to " + candidate);
  }

  public ClusterSettings updateSettings(UnaryOperator<ClusterSettings> change) {
    ClusterState state = requireInitialized();
    ClusterSettings next;
    try {
      next = Objects.requireNonNull(change.apply(state.settings()), "settings");
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new AdminRejectedException(AdminRejectedException.Reason.INVALID, e.getMessage());
    }
    submit(new Command.UpdateSettings(next));
    return next;
  }

  private ClusterState requireInitialized() {
    ClusterState state = snapshot.get().state();
    if (!state.initialized()) {
      throw new AdminRejectedException(AdminRejectedException.Reason.NO_CANDIDATE, "the cluster is not bootstrapped yet");
    }
    return state;
  }

  private void requireEligible(ClusterState state, MemberId candidate, MemberId primary) {
    Optional<MemberRecord> m = state.member(candidate);
    if (m.isEmpty() || !m.get().isData()) {
      throw new AdminRejectedException(AdminRejectedException.Reason.UNKNOWN_MEMBER,
          candidate + (m.isEmpty() ? " is not a member of cluster " + state.clusterName() : " is a witness"));
    }
    if (candidate.equals(primary)) {
      throw new AdminRejectedException(AdminRejectedException.Reason.NOT_ELIGIBLE, candidate + " is already the primary");
    }
    Optional<String> refusal = Candidates.refusal(state, candidate, fresh(candidate));
    if (refusal.isPresent()) {
      throw new AdminRejectedException(AdminRejectedException.Reason.NOT_ELIGIBLE,
          "candidate " + candidate + " cannot be promoted: " + refusal.get());
    }
  }

  /** Why each data member other than {@code primary} could not take over now; one entry per refused member. */
  private List<String> refusals(ClusterState state, MemberId primary) {
    List<String> refusals = new ArrayList<>();
    for (MemberRecord m : state.members().values()) {
      if (m.isData() && !m.id().equals(primary)) {
        Candidates.refusal(state, m.id(), fresh(m.id())).ifPresent(why -> refusals.add(m.id() + ": " + why));
      }
    }
    return refusals;
  }

  private Candidates.Freshness fresh(MemberId member) {
    return Candidates.Freshness.of(snapshot.get().reports().get(member), ticker.nanoTime(), timing);
  }

  private SwitchoverOutcome awaitNewPrimary(Epoch from, Duration wait, String what) {
    CompletableFuture<ClusterState> done = watchers.await(snapshot.get().state(), s -> s.epoch().isAfter(from)
        && s.primary().isPresent() && s.currentEntry().map(HistoryEntry::promoted).orElse(false));
    try {
      ClusterState s = done.get(wait.toNanos(), TimeUnit.NANOSECONDS);
      return SwitchoverOutcome.completed(s.epoch(), s.primary().orElseThrow());
    } catch (TimeoutException e) {
      done.cancel(false);
      throw new AdminRejectedException(AdminRejectedException.Reason.TIMED_OUT,
          what + " was accepted but no new primary was promoted within " + wait.toMillis() + " ms; it may still complete");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FailoverException("interrupted while waiting for " + what, e);
    } catch (ExecutionException e) {
      throw new FailoverException(what + " failed: " + e.getCause(), e.getCause());
    }
  }

  public ApplyResult submit(Command command) {
    if (!running.getAsBoolean()) {
      throw new IllegalStateException("member " + self + " is not running");
    }
    Duration timeout = timing.ttl().plus(timing.rpcTimeout());
    ApplyResult result;
    try {
      result = submitter.submit(command).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException e) {
      throw new NoQuorumException("could not commit " + command.getClass().getSimpleName() + " within "
          + timeout.toMillis() + " ms: " + RootCause.message(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FailoverException("interrupted while committing " + command.getClass().getSimpleName(), e);
    }
    if (!result.applied()) {
      throw new AdminRejectedException(reasonFor(result.rejection().get()), result.reason());
    }
    return result;
  }

  private static AdminRejectedException.Reason reasonFor(Rejection rejection) {
    switch (rejection) {
      case NOT_PRIMARY: return AdminRejectedException.Reason.NOT_PRIMARY;
      case UNKNOWN_MEMBER:
      case NOT_DATA_MEMBER: return AdminRejectedException.Reason.UNKNOWN_MEMBER;
      case NOT_ELIGIBLE: return AdminRejectedException.Reason.NOT_ELIGIBLE;
      case SWITCHOVER_PENDING:
      case NO_SWITCHOVER: return AdminRejectedException.Reason.CONFLICT;
      case STALE_EPOCH:
      case STALE_REQUEST:
      case RENEWED_SINCE: return AdminRejectedException.Reason.STALE;
      case NOT_INITIALIZED: return AdminRejectedException.Reason.NO_CANDIDATE;
      default: return AdminRejectedException.Reason.INVALID;
    }
  }
}

package io.ratisfailover.internal.control;

import io.ratisfailover.Epoch;
import io.ratisfailover.LocalRole;
import io.ratisfailover.MemberId;
import io.ratisfailover.Ticker;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.control.CommandFlights.Flight;
import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Rejection;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The primary's lease as its agent holds it: the renewals it sends, what their answers grant, and
 * the epoch it released, for which no late answer may grant a lease again. Loop thread only.
 */
final class LeaseRenewals {
  // MemberRuntime's logger: the log lines stay those of the member.
  private static final Logger log = LoggerFactory.getLogger(MemberRuntime.class);

  private final MemberId self;
  private final Timing timing;
  private final Ticker ticker;
  private final Loop loop;
  private final Submitter submitter;
  private final CommandFlights flights;
  private final WatchdogGuard watchdog;
  private final Supplier<LocalRole> role;
  private final Supplier<Epoch> stateEpoch;
  private final BooleanSupplier closed;
  private final Runnable requestCycle;
  private Lease lease = Lease.NONE;
  /** The last epoch this member released: no late renewal reply may grant a lease for it again. */
  private Epoch releasedEpoch = Epoch.ZERO;
  private long nextRenewAt;

  LeaseRenewals(MemberId self, Timing timing, Ticker ticker, Loop loop, Submitter submitter, CommandFlights flights,
      WatchdogGuard watchdog, Supplier<LocalRole> role, Supplier<Epoch> stateEpoch, BooleanSupplier closed,
      Runnable requestCycle, long now) {
    this.self = self;
    this.timing = timing;
    this.ticker = ticker;
    this.loop = loop;
    this.submitter = submitter;
    this.flights = flights;
    this.watchdog = watchdog;
    this.role = role;
    this.stateEpoch = stateEpoch;
    this.closed = closed;
    this.requestCycle = requestCycle;
    this.nextRenewAt = now;
  }

  Lease lease() {
    return lease;
  }

  /** When the agent may send its next renewal. */
  long nextRenewAt() {
    return nextRenewAt;
  }

  /** The agent starts: it may renew at once. */
  void renewFrom(long now) {
    nextRenewAt = now;
  }

  void giveUp() {
    lease = Lease.NONE;
  }

  /** Gives the lease up before the others can act on the release of {@code epoch}, for good. */
  void released(Epoch epoch) {
    lease = Lease.NONE;
    releasedEpoch = epoch;
  }

  /**
   * Sends {@code renew} unless a renewal is in flight, or this member released that epoch: a renewal
   * applied before a release that got lost would keep the epoch alive for nobody.
   */
  void send(Command.Renew renew, long now) {
    boolean released = !releasedEpoch.equals(Epoch.ZERO) && renew.epoch().compareTo(releasedEpoch) <= 0;
    if (!released && flights.takeOff(Flight.RENEW)) {
      nextRenewAt = Ticks.plus(now, timing.loopWait());
      renew(renew, now);
    }
  }

  /**
   * Sends a renewal at tick {@code sentAt}. After rpc_timeout the next renewal may go out, but a late
   * answer still counts: the lease it grants is measured from {@code sentAt}, so lateness only
   * shortens it (docs/design.md §4.1).
   */
  private void renew(Command.Renew renew, long sentAt) {
    CompletableFuture<ApplyResult> future = submitter.submit(renew);
    AtomicBoolean timedOut = new AtomicBoolean();
    Loop.Cancellable timer = loop.schedule(timing.rpcTimeout(), () -> {
      timedOut.set(true);
      flights.landed(Flight.RENEW);
      log.warn("member {} epoch {}: renewal unanswered after {} ms; {} ms of lease left", self, renew.epoch(),
          timing.rpcTimeout().toMillis(), lease.held() ? Math.max(0, (lease.expiresAt() - ticker.nanoTime()) / 1_000_000) : 0);
      requestCycle.run();
    });
    future.whenComplete((result, error) -> loop.execute(() -> {
      timer.cancel();
      if (!timedOut.get()) {
        flights.landed(Flight.RENEW);
      }
      if (!closed.getAsBoolean()) {
        renewed(sentAt, renew.epoch(), result, error);
        requestCycle.run();
      }
    }));
  }

  /** Lease bookkeeping for the answer to a renewal sent at tick {@code sentAt}. */
  private void renewed(long sentAt, Epoch epoch, ApplyResult result, Throwable error) {
    if (error != null) {
      log.warn("member {} epoch {}: renewal failed: {}", self, epoch, CommandFlights.describe(error));
      return;
    }
    if (epoch.compareTo(releasedEpoch) <= 0 && !releasedEpoch.equals(Epoch.ZERO)) {
      log.debug("member {} epoch {}: ignoring a renewal answer for the released epoch", self, epoch);
    } else if (result.applied() && result.epoch().equals(epoch) && result.primary().filter(self::equals).isPresent()) {
      lease = lease.extendedTo(epoch, sentAt + timing.leaseDuration().toNanos());
      watchdog.renewed(role.get(), lease, stateEpoch.get());
    } else if (result.rejection().filter(r -> r == Rejection.STALE_REQUEST).isPresent()) {
      // Overtaken by a later request of ours (a resend arrived after it): it says nothing about the
      // epoch. It extends nothing; the lease runs out unless a later renewal is applied.
      log.debug("member {} epoch {}: renewal overtaken by a later request: {}", self, epoch, result);
    } else {
      log.warn("member {} epoch {}: renewal refused, giving the lease up: {}", self, epoch, result);
      lease = Lease.NONE;
    }
  }
}

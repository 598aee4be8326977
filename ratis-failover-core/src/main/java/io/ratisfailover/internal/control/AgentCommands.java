package io.ratisfailover.internal.control;

import io.ratisfailover.Epoch;
import io.ratisfailover.MemberId;
import io.ratisfailover.internal.control.CommandFlights.Flight;
import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Rejection;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The commands the agent sends to the replicated log (bootstrap, renewal, release, promotion
 * record, synchronous standbys), at most one of each kind in flight, and what it logs about their
 * answers. Loop thread only.
 */
final class AgentCommands {
  // MemberRuntime's logger: the log lines stay those of the member.
  private static final Logger log = LoggerFactory.getLogger(MemberRuntime.class);

  private final RuntimeConfig config;
  private final MemberId self;
  private final CommandFlights flights;
  private final LeaseRenewals leases;
  private final PendingSyncRecords pendingSync;
  /** The epoch of the member's current state, read when a command goes out or its answer arrives. */
  private final Supplier<Epoch> stateEpoch;
  /** Publishes the member's snapshot: a released lease must show at once. */
  private final Runnable publish;
  private final ServingSilence silence;

  AgentCommands(RuntimeConfig config, CommandFlights flights, LeaseRenewals leases, PendingSyncRecords pendingSync,
      Supplier<Epoch> stateEpoch, Runnable publish, ServingSilence silence) {
    this.silence = silence;
    this.config = config;
    this.self = config.self();
    this.flights = flights;
    this.leases = leases;
    this.pendingSync = pendingSync;
    this.stateEpoch = stateEpoch;
    this.publish = publish;
  }

  /** The first Bootstrap applied wins; the others' are refused as already bootstrapped. */
  void proposeBootstrap() {
    if (!flights.takeOff(Flight.BOOTSTRAP)) {
      return;
    }
    log.info("member {} epoch {}: proposing to bootstrap cluster {} with its peers and settings {}", self,
        stateEpoch.get(), config.clusterName(), config.initialSettings());
    flights.submit(new Command.Bootstrap(config.clusterName(), config.peers(), config.initialSettings(), config.ca()), (result, error) -> {
      if (error != null) {
        log.info("member {} epoch {}: bootstrap got no answer: {}", self, stateEpoch.get(), CommandFlights.describe(error));
      } else if (!result.applied() && !result.rejection().equals(Optional.of(Rejection.ALREADY_INITIALIZED))) {
        log.warn("member {} epoch {}: bootstrap refused: {}", self, stateEpoch.get(), result);
      }
    }, Flight.BOOTSTRAP);
  }

  void send(Command command, long now) {
    if (command instanceof Command.Renew renew) {
      leases.send(renew, now);
    } else if (command instanceof Command.Release release) {
      if (flights.takeOff(Flight.RELEASE)) {
        // Give the lease up before the others can act on the release, for good.
        leases.released(release.epoch());
        publish.run();
        Command.Release told = release.silentFor(silence.at(release.epoch(), now));
        log.info("member {} epoch {}: releasing the primary role ({} ms after it last could answer 200): {}", self,
            release.epoch(), told.silentFor().toMillis(), release.reason());
        flights.submit(told, (result, error) -> logRejection("release", result, error), Flight.RELEASE);
      }
    } else if (command instanceof Command.RecordPromotion) {
      if (flights.takeOff(Flight.RECORD)) {
        flights.submit(command, (result, error) -> logRejection("record promotion", result, error), Flight.RECORD);
      }
    } else if (command instanceof Command.SetSynchronous sync) {
      if (flights.takeOff(Flight.SYNC)) {
        SyncRecord record = new SyncRecord(sync.members(), sync.quorum());
        log.info("member {} epoch {}: recording synchronous standbys: {}", self, sync.epoch(), record);
        long seq = flights.submit(command, (result, error) -> logRejection("set synchronous standbys", result, error),
            Flight.SYNC);
        pendingSync.sent(seq, record);
      }
    } else {
      throw new IllegalArgumentException("the agent does not send " + command.getClass().getSimpleName());
    }
  }

  private void logRejection(String what, ApplyResult result, Throwable error) {
    if (error != null) {
      log.warn("member {} epoch {}: {} got no answer: {}", self, stateEpoch.get(), what, CommandFlights.describe(error));
    } else if (!result.applied()) {
      log.warn("member {} epoch {}: {} refused: {}", self, stateEpoch.get(), what, result);
    }
  }
}

package io.ratisfailover.internal.control;

import io.ratisfailover.Epoch;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.control.CommandFlights.Flight;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Rejection;
import io.ratisfailover.spi.DatabaseStatus;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When this member reports its status to the cluster, and the boot barrier its first committed
 * report sets. Reports wait for the Raft server: before it runs, the agent only watches and fences
 * its database. A data member reports every loop wait; a booted witness only once a TTL, as it has
 * nothing that changes. Loop thread only.
 */
final class StatusReports {
  // MemberRuntime's logger: the log lines stay those of the member.
  private static final Logger log = LoggerFactory.getLogger(MemberRuntime.class);

  private final RuntimeConfig config;
  private final Timing timing;
  private final CommandFlights flights;
  /** The local database's attributes; empty for a witness. */
  private final Supplier<Map<String, String>> attributes;
  /** The index of the last log entry this member applied, whenever asked. */
  private final LongSupplier appliedIndex;
  private final Supplier<Epoch> epoch;
  private final BootBarrier boot = new BootBarrier();
  private boolean consensusStarted;
  /** Its reports were refused as from a stranger: said once. */
  private boolean waitingToBeAdded;
  private long nextAt;

  StatusReports(RuntimeConfig config, CommandFlights flights, Supplier<Map<String, String>> attributes,
      LongSupplier appliedIndex, Supplier<Epoch> epoch, long now) {
    this.config = config;
    this.timing = config.timing();
    this.flights = flights;
    this.attributes = attributes;
    this.appliedIndex = appliedIndex;
    this.epoch = epoch;
    this.nextAt = now;
  }

  BootBarrier boot() {
    return boot;
  }

  /** The Raft server runs: report from now on, first at {@code now}. */
  void consensusStarted(long now) {
    consensusStarted = true;
    nextAt = now;
  }

  long nextAt() {
    return nextAt;
  }

  /** Report at {@code at} (at once, or after a poll of the database began, one loop wait on). */
  void dueAt(long at) {
    nextAt = at;
  }

  /**
   * Sends a report of {@code db} (empty for a witness), sampled after this member applied entry
   * {@code sampledAfter}, unless one is in flight or the member refuses to run.
   */
  void send(long now, Optional<DatabaseStatus> db, OptionalLong sampledAfter, boolean refused) {
    if (!consensusStarted || refused || !flights.takeOff(Flight.REPORT)) {
      return;
    }
    boolean witness = config.kind() == MemberKind.WITNESS;
    nextAt = Ticks.plus(now, witness && boot.passed() ? timing.ttl() : timing.loopWait());
    Command.ReportStatus report = new Command.ReportStatus(config.tags(), config.apiUrl(), attributes.get(), db,
        OptionalLong.of(appliedIndex.getAsLong()), sampledAfter);
    flights.submit(report, (result, error) -> {
      if (error == null && result.rejection().filter(Rejection.UNKNOWN_MEMBER::equals).isPresent()) {
        // Not a member (yet): a new member reports before it is added. The state at that index is not
        // this member's cluster as it will join it; the barrier is the first report the cluster takes.
        if (!waitingToBeAdded && !boot.passed()) {
          waitingToBeAdded = true;
          log.warn("member {} epoch {}: not a member of cluster {} at log index {}: waiting to be added (rfctl add-member)",
              config.self(), epoch.get(), config.clusterName(), result.index());
        }
      } else if (error == null) {
        boot.reportCommitted(result.index(), appliedIndex.getAsLong());
      }
    }, Flight.REPORT);
  }
}

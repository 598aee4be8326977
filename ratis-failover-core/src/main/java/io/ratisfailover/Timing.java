package io.ratisfailover;

import java.time.Duration;
import java.util.Objects;

/**
 * The timing every safety argument rests on. Built only through {@link #builder()} (or one of the
 * profiles), whose {@code build()} rejects impossible combinations naming the field, using the
 * names of the configuration file.
 *
 * <p>The lease the primary holds lasts {@code ttl - leaseMargin} on its own clock from the moment
 * it <em>sent</em> a renewal that was then applied; the arbiter waits {@code ttl} on its own clock
 * from the moment it <em>applied</em> that renewal. The margin covers clock-rate drift between the
 * two (up to {@code maxClockDrift}, a rate such as 0.01 for 1%) and the time fencing takes.
 *
 * @param ttl how long the arbiter waits without an applied renewal before electing another primary
 * @param loopWait how often the agent renews, reports status and re-evaluates
 * @param rpcTimeout how long one command submission may take before it counts as failed
 * @param leaseMargin how much earlier than {@code ttl} the primary considers its lease gone
 * @param maxClockDrift bound on the difference of clock rates between any two members
 * @param electionTimeoutMin Raft election timeout, lower bound
 * @param electionTimeoutMax Raft election timeout, upper bound
 * @param statusTimeout bound on one database status call
 * @param operationTimeout bound on start, stop, promote, follow and fence
 * @param provisionTimeout bound on bootstrap, clone and rewind, which copy data
 */
public record Timing(Duration ttl, Duration loopWait, Duration rpcTimeout, Duration leaseMargin,
    double maxClockDrift, Duration electionTimeoutMin, Duration electionTimeoutMax,
    Duration statusTimeout, Duration operationTimeout, Duration provisionTimeout) {

  public Timing {
    Objects.requireNonNull(ttl, "ttl");
    Objects.requireNonNull(loopWait, "loop_wait");
    Objects.requireNonNull(rpcTimeout, "rpc_timeout");
    Objects.requireNonNull(leaseMargin, "lease_margin");
    Objects.requireNonNull(electionTimeoutMin, "election_timeout_min");
    Objects.requireNonNull(electionTimeoutMax, "election_timeout_max");
    Objects.requireNonNull(statusTimeout, "status_timeout");
    Objects.requireNonNull(operationTimeout, "operation_timeout");
    Objects.requireNonNull(provisionTimeout, "provision_timeout");
  }

  /**
   * LAN defaults: a dead primary is replaced about {@code ttl} after its last renewal (~3 s),
   * while a Raft election (at most ~1.2 s) never costs the primary its lease.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** {@link #builder()} with nothing changed. */
  public static Timing defaults() {
    return builder().build();
  }

  /** For low-latency networks (same rack, sub-millisecond RTT): failover in about 1.5 s. */
  public static Builder fast() {
    return builder()
        .ttl(Duration.ofMillis(1500)).loopWait(Duration.ofMillis(250)).rpcTimeout(Duration.ofMillis(250))
        .leaseMargin(Duration.ofMillis(250))
        .electionTimeoutMin(Duration.ofMillis(150)).electionTimeoutMax(Duration.ofMillis(300));
  }

  /** For slow or lossy networks between sites: failover in about 10 s. */
  public static Builder conservative() {
    return builder()
        .ttl(Duration.ofSeconds(10)).loopWait(Duration.ofSeconds(2)).rpcTimeout(Duration.ofSeconds(2))
        .leaseMargin(Duration.ofSeconds(1))
        .electionTimeoutMin(Duration.ofSeconds(1)).electionTimeoutMax(Duration.ofSeconds(2));
  }

  /** How long the primary's lease lasts from the send time of an applied renewal. */
  public Duration leaseDuration() {
    return ttl.minus(leaseMargin);
  }

  /** The smallest margin that covers {@code maxClockDrift} over one {@code ttl}. */
  public static Duration requiredDriftMargin(Duration ttl, double maxClockDrift) {
    // The holder's (ttl - margin) may last (ttl - margin)/(1 - d) real time; the arbiter's ttl at
    // least ttl/(1 + d). The first must not exceed the second.
    double nanos = ttl.toNanos() * (2 * maxClockDrift / (1 + maxClockDrift));
    return Duration.ofNanos((long) Math.ceil(nanos));
  }

  public Builder toBuilder() {
    return new Builder()
        .ttl(ttl).loopWait(loopWait).rpcTimeout(rpcTimeout).leaseMargin(leaseMargin)
        .maxClockDrift(maxClockDrift).electionTimeoutMin(electionTimeoutMin)
        .electionTimeoutMax(electionTimeoutMax).statusTimeout(statusTimeout)
        .operationTimeout(operationTimeout).provisionTimeout(provisionTimeout);
  }

  /** Mutable only until {@link #build()}; each setter takes the value the field will hold. */
  public static final class Builder {
    private Duration ttl = Duration.ofSeconds(3);
    private Duration loopWait = Duration.ofMillis(500);
    private Duration rpcTimeout = Duration.ofMillis(500);
    private Duration leaseMargin = Duration.ofMillis(500);
    private double maxClockDrift = 0.01;
    private Duration electionTimeoutMin = Duration.ofMillis(300);
    private Duration electionTimeoutMax = Duration.ofMillis(600);
    private Duration statusTimeout = Duration.ofSeconds(1);
    private Duration operationTimeout = Duration.ofSeconds(60);
    private Duration provisionTimeout = Duration.ofHours(6);

    private Builder() {}

    public Builder ttl(Duration value) { this.ttl = value; return this; }
    public Builder loopWait(Duration value) { this.loopWait = value; return this; }
    public Builder rpcTimeout(Duration value) { this.rpcTimeout = value; return this; }
    public Builder leaseMargin(Duration value) { this.leaseMargin = value; return this; }
    public Builder maxClockDrift(double value) { this.maxClockDrift = value; return this; }
    public Builder electionTimeoutMin(Duration value) { this.electionTimeoutMin = value; return this; }
    public Builder electionTimeoutMax(Duration value) { this.electionTimeoutMax = value; return this; }
    public Builder statusTimeout(Duration value) { this.statusTimeout = value; return this; }
    public Builder operationTimeout(Duration value) { this.operationTimeout = value; return this; }
    public Builder provisionTimeout(Duration value) { this.provisionTimeout = value; return this; }

    /**
     * @throws IllegalArgumentException naming the first field that makes the timing impossible
     */
    public Timing build() {
      requirePositive("ttl", ttl);
      requirePositive("loop_wait", loopWait);
      requirePositive("rpc_timeout", rpcTimeout);
      requirePositive("lease_margin", leaseMargin);
      requirePositive("status_timeout", statusTimeout);
      requirePositive("operation_timeout", operationTimeout);
      requirePositive("provision_timeout", provisionTimeout);
      if (!(maxClockDrift >= 0 && maxClockDrift <= 0.1)) {
        throw new IllegalArgumentException("max_clock_drift must be between 0 and 0.1 (10%), got " + maxClockDrift);
      }
      Duration renewalBudget = loopWait.plus(rpcTimeout.multipliedBy(2)).plus(leaseMargin);
      if (renewalBudget.compareTo(ttl) >= 0) {
        throw new IllegalArgumentException("ttl (" + ms(ttl) + ") must exceed loop_wait + 2 x rpc_timeout"
            + " + lease_margin (" + ms(renewalBudget) + "), or one slow renewal would cost the primary its lease");
      }
      Duration driftMargin = requiredDriftMargin(ttl, maxClockDrift);
      if (leaseMargin.compareTo(driftMargin) < 0) {
        throw new IllegalArgumentException("lease_margin (" + ms(leaseMargin) + ") must be at least "
            + (driftMargin.plusNanos(999_999).toMillis()) + " ms to cover max_clock_drift " + maxClockDrift + " over ttl " + ms(ttl));
      }
      if (electionTimeoutMin.toMillis() < 100) {
        throw new IllegalArgumentException("election_timeout_min (" + ms(electionTimeoutMin)
            + ") must be at least 100 ms; shorter Raft timeouts cause spurious elections");
      }
      if (electionTimeoutMax.compareTo(electionTimeoutMin) <= 0) {
        throw new IllegalArgumentException("election_timeout_max (" + ms(electionTimeoutMax)
            + ") must exceed election_timeout_min (" + ms(electionTimeoutMin) + ")");
      }
      // A Raft election may take up to twice the maximum timeout; the primary must be able to ride
      // it out on its lease, or every loss of the arbiter would become a failover.
      Duration electionBudget = electionTimeoutMax.multipliedBy(2).plus(loopWait);
      Duration lease = ttl.minus(leaseMargin);
      if (electionBudget.compareTo(lease) > 0) {
        throw new IllegalArgumentException("election_timeout_max (" + ms(electionTimeoutMax)
            + ") is too long for the lease: 2 x election_timeout_max + loop_wait (" + ms(electionBudget)
            + ") must not exceed ttl - lease_margin (" + ms(lease) + ")");
      }
      return new Timing(ttl, loopWait, rpcTimeout, leaseMargin, maxClockDrift, electionTimeoutMin,
          electionTimeoutMax, statusTimeout, operationTimeout, provisionTimeout);
    }

    private static void requirePositive(String field, Duration value) {
      if (value == null || value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(field + " must be a positive duration, got " + value);
      }
    }

    private static String ms(Duration d) {
      return d.toMillis() + " ms";
    }
  }
}

package io.ratisfailover.node.config;

import io.ratisfailover.Timing;
import java.time.Duration;

/**
 * {@code timing:} — a profile ({@code default}, {@code fast}, {@code conservative}) with any field
 * overridden. Durations are written like {@code 500ms} or {@code 3s}.
 */
public record TimingSection(String profile, String ttl, String loopWait, String rpcTimeout, String leaseMargin,
    Double maxClockDrift, String electionTimeoutMin, String electionTimeoutMax, String statusTimeout,
    String operationTimeout, String provisionTimeout) {

  public static final TimingSection DEFAULT = new TimingSection(null, null, null, null, null, null, null, null, null,
      null, null);

  public Timing toTiming(String at) {
    Timing.Builder b;
    String p = profile == null ? "default" : profile;
    switch (p) {
      case "default": b = Timing.builder(); break;
      case "fast": b = Timing.fast(); break;
      case "conservative": b = Timing.conservative(); break;
      default: throw ConfigException.at(at + ".profile", "'" + p + "' is not one of default, fast, conservative");
    }
    set(b::ttl, at + ".ttl", ttl);
    set(b::loopWait, at + ".loop_wait", loopWait);
    set(b::rpcTimeout, at + ".rpc_timeout", rpcTimeout);
    set(b::leaseMargin, at + ".lease_margin", leaseMargin);
    set(b::electionTimeoutMin, at + ".election_timeout_min", electionTimeoutMin);
    set(b::electionTimeoutMax, at + ".election_timeout_max", electionTimeoutMax);
    set(b::statusTimeout, at + ".status_timeout", statusTimeout);
    set(b::operationTimeout, at + ".operation_timeout", operationTimeout);
    set(b::provisionTimeout, at + ".provision_timeout", provisionTimeout);
    if (maxClockDrift != null) {
      b.maxClockDrift(maxClockDrift);
    }
    // The builder names the field in its own words (ttl, loop_wait, ...): prefix the section.
    return Values.checked(at, b::build);
  }

  private static void set(java.util.function.Function<Duration, Timing.Builder> setter, String key, String value) {
    Duration d = Values.duration(key, value);
    if (d != null) {
      setter.apply(d);
    }
  }
}

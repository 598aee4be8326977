package io.ratisfailover.sidecar;

import io.ratisfailover.Timing;
import io.ratisfailover.node.config.ConfigException;
import io.ratisfailover.node.config.Values;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The sidecar's {@code watchdog:} section, as Patroni has it, plus the postmaster guard:
 *
 * <pre>
 * watchdog: {mode: automatic, device: /dev/watchdog, safety_margin: 5s, postmaster_guard: true}
 * </pre>
 *
 * <p>The Linux watchdog device resets the host {@code deviceTimeout} after the last keep-alive
 * unless another comes. Its timeout is whole seconds: {@code ttl - lease_margin - safety_margin},
 * rounded down, so for a renewal answered at once the host resets {@code safety_margin} before the
 * lease ends. A keep-alive is written only while the device would still fire no later than the
 * lease's end (the renewal's answer came within about {@code safety_margin} of its send); a later
 * one is skipped, and the device then fires at the end of an earlier, shorter lease.
 *
 * @param mode off: no device; automatic: use it if it works, warn if not; required: refuse to start without it
 * @param deviceTimeout the timeout the device is set to; zero when {@code mode} is off
 * @param postmasterGuard whether a guard process stops PostgreSQL when the agent dies or freezes while primary
 */
public record WatchdogSettings(Mode mode, Path device, Duration safetyMargin, Duration deviceTimeout,
    boolean postmasterGuard) {

  public static final Path DEFAULT_DEVICE = Path.of("/dev/watchdog");
  /** Patroni's default. */
  public static final Duration DEFAULT_SAFETY_MARGIN = Duration.ofSeconds(5);
  public static final WatchdogSettings DEFAULT = new WatchdogSettings(Mode.OFF, DEFAULT_DEVICE, DEFAULT_SAFETY_MARGIN,
      Duration.ZERO, true);

  public enum Mode { OFF, AUTOMATIC, REQUIRED }

  /** {@code watchdog:} as written in the file. */
  public record Section(String mode, String device, String safetyMargin, Boolean postmasterGuard) {

    WatchdogSettings toSettings(String at, Timing timing) {
      Mode m = parseMode(at + ".mode", mode);
      Path d = device == null ? DEFAULT_DEVICE : Path.of(device);
      Duration margin = safetyMargin == null ? DEFAULT_SAFETY_MARGIN : Values.duration(at + ".safety_margin", safetyMargin);
      boolean guard = postmasterGuard == null || postmasterGuard;
      if (m == Mode.OFF) {
        return new WatchdogSettings(m, d, margin, Duration.ZERO, guard);
      }
      return new WatchdogSettings(m, d, margin, deviceTimeout(at, timing, margin), guard);
    }
  }

  /** Whether a keep-alive now, with {@code leaseRemaining} of the lease left, keeps the device's reset inside the lease. */
  public boolean allowsKeepAlive(Duration leaseRemaining) {
    return deviceTimeout.compareTo(leaseRemaining) <= 0;
  }

  private static Mode parseMode(String key, String text) {
    if (text == null) {
      return Mode.OFF;
    }
    switch (text) {
      // YAML 1.1 reads an unquoted off as the boolean false.
      case "off": case "false": return Mode.OFF;
      case "automatic": return Mode.AUTOMATIC;
      case "required": return Mode.REQUIRED;
      default: throw ConfigException.at(key, "'" + text + "' is not one of off, automatic, required");
    }
  }

  /**
   * {@code ttl - lease_margin - safety_margin} in whole seconds (the device's unit), checked: at least
   * a second, and longer than one renewal period plus one slow renewal, or the host would reset while
   * the agent is merely waiting for an answer.
   */
  private static Duration deviceTimeout(String at, Timing timing, Duration margin) {
    Duration lease = timing.leaseDuration();
    Duration timeout = Duration.ofSeconds(lease.minus(margin).toSeconds());
    Duration renewalGap = timing.loopWait().plus(timing.rpcTimeout());
    if (margin.isNegative() || margin.isZero()) {
      throw ConfigException.at(at + ".safety_margin", "must be positive");
    }
    if (timeout.compareTo(Duration.ofSeconds(1)) < 0 || timeout.compareTo(renewalGap) <= 0) {
      throw ConfigException.at(at + ".safety_margin", "the device timeout ttl - lease_margin - safety_margin ("
          + lease.toMillis() + " ms - " + margin.toMillis() + " ms, in whole seconds: " + timeout.toSeconds()
          + " s) must exceed loop_wait + rpc_timeout (" + renewalGap.toMillis()
          + " ms); lower safety_margin or use a longer ttl (timing profile conservative)");
    }
    return timeout;
  }
}

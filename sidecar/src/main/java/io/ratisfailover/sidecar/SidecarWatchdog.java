package io.ratisfailover.sidecar;

import io.ratisfailover.postgres.PostmasterGuard;
import io.ratisfailover.spi.Watchdog;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything that fences for a dead or frozen sidecar, as one {@link Watchdog}: the postmaster guard
 * (stops PostgreSQL) and the Linux watchdog device (resets the host), as configured. Every call goes
 * to each of them; a failure of one does not keep the others from their call.
 */
final class SidecarWatchdog implements Watchdog {
  private static final Logger log = LoggerFactory.getLogger(SidecarWatchdog.class);

  private final List<Watchdog> parts;

  private SidecarWatchdog(List<Watchdog> parts) {
    this.parts = List.copyOf(parts);
  }

  /**
   * Probes the device and starts the guard as {@code plan} says.
   *
   * @throws IOException with a one-line message when the sidecar must not start
   */
  static SidecarWatchdog start(SidecarConfig.Plan plan) throws IOException {
    List<Watchdog> parts = new ArrayList<>();
    device(plan).ifPresent(parts::add);
    if (plan.watchdog().postmasterGuard()) {
      parts.add(PostmasterGuard.start(plan.member(), plan.postgres()));
    }
    return new SidecarWatchdog(parts);
  }

  /**
   * The watchdog device, probed: one that is missing or refuses its timeout stops the start in mode
   * required, and is left out with a warning in mode automatic.
   *
   * @throws IOException with a one-line message when the sidecar must not start
   */
  static Optional<Watchdog> device(SidecarConfig.Plan plan) throws IOException {
    WatchdogSettings settings = plan.watchdog();
    if (settings.mode() == WatchdogSettings.Mode.OFF) {
      return Optional.empty();
    }
    try {
      return Optional.of(WatchdogDevice.probe(plan.member(), settings));
    } catch (IOException e) {
      if (settings.mode() == WatchdogSettings.Mode.REQUIRED) {
        throw new IOException(e.getMessage() + " (watchdog.mode is required)", e);
      }
      log.warn("member {}: {}; continuing without a watchdog device (watchdog.mode is automatic)", plan.member(),
          e.getMessage());
      return Optional.empty();
    }
  }

  /** What guards this member, for the log. */
  String describe() {
    return parts.isEmpty() ? "nothing (watchdog device off, postmaster guard off)"
        : String.join(" and ", parts.stream().map(Object::toString).toList());
  }

  @Override
  public void arm(Duration remaining) throws IOException {
    each(w -> w.arm(remaining));
  }

  @Override
  public void keepAlive(Duration remaining) throws IOException {
    each(w -> w.keepAlive(remaining));
  }

  @Override
  public void disarm() throws IOException {
    each(Watchdog::disarm);
  }

  @Override
  public void close() throws IOException {
    each(Watchdog::close);
  }

  private interface Call {
    void on(Watchdog w) throws IOException;
  }

  private void each(Call call) throws IOException {
    IOException first = null;
    for (Watchdog w : parts) {
      try {
        call.on(w);
      } catch (IOException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}

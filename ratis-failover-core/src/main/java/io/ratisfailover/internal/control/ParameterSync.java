package io.ratisfailover.internal.control;

import io.ratisfailover.ServerParameters;
import java.time.Duration;
import java.util.Optional;

/**
 * Which cluster-wide PostgreSQL settings this member's database has taken, and when to try again
 * after a failure. Loop thread only. Nothing is applied yet when the member starts, so the first
 * idle moment applies the cluster's settings even if they equal the files already written.
 */
final class ParameterSync {
  private Optional<ServerParameters> applied = Optional.empty();
  private int failures;
  private long retryAt;

  /** {@code wanted} differs from what was applied, and no failed attempt is waiting out its backoff. */
  boolean due(ServerParameters wanted, long now) {
    return !applied.equals(Optional.of(wanted)) && (failures == 0 || Ticks.reached(now, retryAt));
  }

  void succeeded(ServerParameters value) {
    applied = Optional.of(value);
    failures = 0;
  }

  /** Attempts that failed in a row since the last success. */
  int failures() {
    return failures;
  }

  void failed(long now, Duration backoff) {
    failures++;
    retryAt = Ticks.plus(now, backoff);
  }
}

package io.ratisfailover;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A planned change of primary that an operator asked for and that has not happened yet.
 *
 * @param from the primary expected to step down; empty for "whoever is primary"
 * @param to the member to promote; empty for "the best candidate"
 * @param epoch the epoch the request was made in: it lapses with that epoch
 * @param scheduledAt when to start; empty for "now"
 * @param requestedAt when it was asked for
 */
public record PendingSwitchover(Optional<MemberId> from, Optional<MemberId> to, Epoch epoch,
    Optional<Instant> scheduledAt, Instant requestedAt) {
  public PendingSwitchover {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(epoch, "epoch");
    Objects.requireNonNull(scheduledAt, "scheduledAt");
    Objects.requireNonNull(requestedAt, "requestedAt");
  }

  /** Whether it is due at wall-clock time {@code now}. */
  public boolean isDue(Instant now) {
    return scheduledAt.map(at -> !now.isBefore(at)).orElse(true);
  }
}

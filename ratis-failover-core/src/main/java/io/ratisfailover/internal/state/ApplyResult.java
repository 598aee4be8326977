package io.ratisfailover.internal.state;

import io.ratisfailover.Epoch;
import io.ratisfailover.MemberId;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of applying one command, as its sender receives it.
 *
 * @param index the log index it was applied at
 * @param rejection why it was refused; empty when applied
 * @param reason a human-readable explanation
 * @param epoch the cluster's epoch after applying
 * @param primary the cluster's primary after applying
 */
public record ApplyResult(long index, Optional<Rejection> rejection, String reason, Epoch epoch,
    Optional<MemberId> primary) {
  public ApplyResult {
    Objects.requireNonNull(rejection, "rejection");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(epoch, "epoch");
    Objects.requireNonNull(primary, "primary");
  }

  public boolean applied() {
    return rejection.isEmpty();
  }

  @Override
  public String toString() {
    return (applied() ? "applied" : "rejected " + rejection.get()) + " at " + index + " (epoch " + epoch
        + ", primary " + primary.map(MemberId::value).orElse("none") + ")" + (reason.isEmpty() ? "" : ": " + reason);
  }
}

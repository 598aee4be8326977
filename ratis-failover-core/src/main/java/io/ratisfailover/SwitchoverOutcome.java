package io.ratisfailover;

import java.util.Objects;
import java.util.Optional;

/**
 * What a switchover or failover request achieved.
 *
 * @param scheduled true when it was accepted for a later time and has not happened yet
 * @param epoch the new epoch, once it happened
 * @param primary the new primary, once it happened
 */
public record SwitchoverOutcome(boolean scheduled, Optional<Epoch> epoch, Optional<MemberId> primary) {
  public SwitchoverOutcome {
    Objects.requireNonNull(epoch, "epoch");
    Objects.requireNonNull(primary, "primary");
  }

  public static SwitchoverOutcome scheduledLater() {
    return new SwitchoverOutcome(true, Optional.empty(), Optional.empty());
  }

  public static SwitchoverOutcome completed(Epoch epoch, MemberId primary) {
    return new SwitchoverOutcome(false, Optional.of(epoch), Optional.of(primary));
  }
}

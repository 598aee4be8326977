package io.ratisfailover.internal.control;

import io.ratisfailover.Epoch;
import java.time.Duration;
import java.util.Objects;

/**
 * What this member knows, once elected for {@code epoch}, about how long the previous primary has
 * not answered 200 on {@code /primary}: at least {@code atElection} (the arbiter's bound, in real
 * time, when it decided) before this member applied the election at tick {@code appliedAt}. The
 * probe holds this member's own 200 back only for what remains of {@code primary_hold_off}.
 */
public record PredecessorSilence(Epoch epoch, long appliedAt, Duration atElection) {
  public static final PredecessorSilence NONE = new PredecessorSilence(Epoch.ZERO, 0, Duration.ZERO);

  public PredecessorSilence {
    Objects.requireNonNull(epoch, "epoch");
    Objects.requireNonNull(atElection, "atElection");
  }

  /**
   * A lower bound, in real time, on the previous primary's silence at tick {@code now} of this
   * member's clock, whose rate may differ from real time by {@code maxClockDrift}; zero for any
   * epoch but the one this member was elected for.
   */
  public Duration at(Epoch current, long now, double maxClockDrift) {
    if (!epoch.equals(current) || epoch.equals(Epoch.ZERO)) {
      return Duration.ZERO;
    }
    // The election was applied here after the arbiter decided, so both spans add up.
    long sinceApplied = Math.max(0, now - appliedAt);
    return atElection.plusNanos((long) Math.floor(sinceApplied / (1 + maxClockDrift)));
  }
}

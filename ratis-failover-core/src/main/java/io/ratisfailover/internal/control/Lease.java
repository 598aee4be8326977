package io.ratisfailover.internal.control;

import io.ratisfailover.Epoch;
import io.ratisfailover.MemberId;
import io.ratisfailover.internal.state.ClusterState;
import java.util.Objects;

/**
 * The primary lease as this member holds it: valid for {@code epoch} until {@code expiresAt} on
 * the local ticker, and only while the applied state still names this member primary of that epoch.
 */
public record Lease(Epoch epoch, long expiresAt, boolean held) {
  public static final Lease NONE = new Lease(Epoch.ZERO, 0, false);

  public Lease {
    Objects.requireNonNull(epoch, "epoch");
  }

  static Lease until(Epoch epoch, long expiresAt) {
    return new Lease(epoch, expiresAt, true);
  }

  public boolean isValid(long now, ClusterState state, MemberId self) {
    return held && Ticks.before(now, expiresAt) && state.isPrimary(self, epoch);
  }

  /** Whether a lease for {@code epoch} was held and has run out: the trigger for self-fencing. */
  boolean lapsedFor(Epoch epoch, long now) {
    return held && this.epoch.equals(epoch) && Ticks.reached(now, expiresAt);
  }

  /** The later of this lease and one for the same epoch ending at {@code newExpiry}. */
  Lease extendedTo(Epoch epoch, long newExpiry) {
    if (held && this.epoch.equals(epoch)) {
      return new Lease(epoch, Ticks.later(expiresAt, newExpiry), true);
    }
    return until(epoch, newExpiry);
  }
}

package io.ratisfailover.spi;

import io.ratisfailover.Epoch;
import io.ratisfailover.MemberId;
import java.util.Objects;
import java.util.Set;

/**
 * How the primary should be configured for the members around it.
 *
 * @param epoch the epoch this primary serves
 * @param standbys the other data members: each gets its own replication slot
 * @param synchronousStandbys standbys whose confirmation every commit must wait for (all of them)
 * @param blockWritesWithoutStandby when {@code synchronousStandbys} is empty, make commits wait for
 *     any standby instead of not waiting at all (strict synchronous mode)
 */
public record PrimaryTopology(Epoch epoch, Set<MemberId> standbys, Set<MemberId> synchronousStandbys,
    boolean blockWritesWithoutStandby) {
  public PrimaryTopology {
    Objects.requireNonNull(epoch, "epoch");
    standbys = Set.copyOf(standbys);
    synchronousStandbys = Set.copyOf(synchronousStandbys);
  }
}

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
 * @param synchronousStandbys standbys whose confirmation commits wait for
 * @param blockWritesWithoutStandby when {@code synchronousStandbys} is empty, make commits wait for
 *     any standby instead of not waiting at all (strict synchronous mode)
 * @param quorum 0: every commit waits for all of {@code synchronousStandbys} ({@code FIRST n});
 *     otherwise for any {@code quorum} of them (quorum commit, {@code ANY n})
 */
public record PrimaryTopology(Epoch epoch, Set<MemberId> standbys, Set<MemberId> synchronousStandbys,
    boolean blockWritesWithoutStandby, int quorum) {
  public PrimaryTopology {
    Objects.requireNonNull(epoch, "epoch");
    standbys = Set.copyOf(standbys);
    synchronousStandbys = Set.copyOf(synchronousStandbys);
    if (quorum < 0 || quorum > synchronousStandbys.size()) {
      throw new IllegalArgumentException("a quorum of " + quorum + " out of " + synchronousStandbys + " is impossible");
    }
  }

  /** Commits wait for every one of {@code synchronousStandbys}. */
  public PrimaryTopology(Epoch epoch, Set<MemberId> standbys, Set<MemberId> synchronousStandbys,
      boolean blockWritesWithoutStandby) {
    this(epoch, standbys, synchronousStandbys, blockWritesWithoutStandby, 0);
  }

  /** How many of {@code synchronousStandbys} confirm each commit before it is acknowledged. */
  public int confirmationsPerCommit() {
    return quorum == 0 ? synchronousStandbys.size() : quorum;
  }
}

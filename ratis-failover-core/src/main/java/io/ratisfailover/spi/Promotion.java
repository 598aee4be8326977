package io.ratisfailover.spi;

import io.ratisfailover.Lsn;
import java.util.Objects;
import java.util.Optional;

/**
 * What {@link DatabaseAdapter#promote(Promotion)} must achieve.
 *
 * @param topology the configuration the new primary starts with; in particular its synchronous
 *     standbys, set before it accepts the first write (an inherited setting could name itself and
 *     make every commit hang)
 * @param replayAtLeast replay WAL at least up to here before promoting: the position a planned
 *     switchover's old primary released at
 */
public record Promotion(PrimaryTopology topology, Optional<Lsn> replayAtLeast) {
  public Promotion {
    Objects.requireNonNull(topology, "topology");
    Objects.requireNonNull(replayAtLeast, "replayAtLeast");
  }
}

package io.ratisfailover.internal.state;

import java.util.Objects;
import java.util.Optional;

/**
 * A command with its origin: one Raft log entry.
 *
 * @param seal the sender's signature over exactly the bytes origin and command were decoded from;
 *     empty for an unsigned request (an unauthenticated cluster)
 */
public record Request(Origin origin, Command command, Optional<Seal> seal) {
  public Request {
    Objects.requireNonNull(origin, "origin");
    Objects.requireNonNull(command, "command");
    Objects.requireNonNull(seal, "seal");
  }

  public Request(Origin origin, Command command) {
    this(origin, command, Optional.empty());
  }
}

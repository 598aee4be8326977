package io.ratisfailover.internal.state;

import java.util.Objects;

/** A command with its origin: one Raft log entry. */
public record Request(Origin origin, Command command) {
  public Request {
    Objects.requireNonNull(origin, "origin");
    Objects.requireNonNull(command, "command");
  }
}

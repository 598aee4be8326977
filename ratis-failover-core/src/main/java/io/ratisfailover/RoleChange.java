package io.ratisfailover;

import java.time.Instant;
import java.util.Objects;

/**
 * This member's role changed.
 *
 * @param epoch the cluster's epoch when it changed
 * @param reason the agent's reason, in words
 */
public record RoleChange(MemberId member, LocalRole from, LocalRole to, Epoch epoch, String reason, Instant at) {
  public RoleChange {
    Objects.requireNonNull(member, "member");
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(epoch, "epoch");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(at, "at");
  }
}

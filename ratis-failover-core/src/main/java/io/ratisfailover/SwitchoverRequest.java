package io.ratisfailover;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A planned change of primary.
 *
 * @param leader the primary the operator expects to step down; refused if another member is primary
 * @param candidate the member to promote; empty for the best candidate
 * @param scheduledAt when to do it; empty for now
 */
public record SwitchoverRequest(Optional<MemberId> leader, Optional<MemberId> candidate, Optional<Instant> scheduledAt) {
  public SwitchoverRequest {
    Objects.requireNonNull(leader, "leader");
    Objects.requireNonNull(candidate, "candidate");
    Objects.requireNonNull(scheduledAt, "scheduledAt");
  }

  public static SwitchoverRequest now() {
    return new SwitchoverRequest(Optional.empty(), Optional.empty(), Optional.empty());
  }

  public static SwitchoverRequest to(MemberId candidate) {
    return new SwitchoverRequest(Optional.empty(), Optional.of(candidate), Optional.empty());
  }
}

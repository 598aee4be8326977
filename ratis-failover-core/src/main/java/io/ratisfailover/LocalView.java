package io.ratisfailover;

import io.ratisfailover.spi.DatabaseStatus;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * This member, as its own agent sees it at one moment.
 *
 * @param servingPrimary whether it may answer 200 on {@code /primary} now: promoted primary of the
 *     current epoch, lease valid, database last seen read-write, not fencing
 * @param leaseRemaining how much of its primary lease is left; zero when it holds none
 * @param database the last observation of its database; empty for a witness or before the first
 * @param reason the agent's last decision, in words
 * @param arbiter whether this member leads the Raft group and so runs the arbiter
 * @param lastCycle how long its last decision cycle took
 * @param sinceLastCycle how long ago its last decision cycle ended: the agent cycles at least every
 *     {@code loop_wait}, so a value far above that means the agent loop is stuck (liveness checks)
 * @param predecessorSilent while this member is the elected primary of {@code epoch}, a lower bound
 *     in real time on how long the previous primary has not answered 200 on {@code /primary} (its
 *     lease ended or it released, as the arbiter bounded it when electing this member); zero
 *     otherwise or when unknown. Routers' hold-off counts from it.
 */
public record LocalView(MemberId id, MemberKind kind, String clusterName, LocalRole role, Epoch epoch,
    boolean servingPrimary, Duration leaseRemaining, Optional<DatabaseStatus> database, String reason,
    boolean arbiter, boolean paused, Duration lastCycle, Duration sinceLastCycle, Duration predecessorSilent) {
  public LocalView {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(epoch, "epoch");
    Objects.requireNonNull(leaseRemaining, "leaseRemaining");
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(lastCycle, "lastCycle");
    Objects.requireNonNull(sinceLastCycle, "sinceLastCycle");
    Objects.requireNonNull(predecessorSilent, "predecessorSilent");
  }
}

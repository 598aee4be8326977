package io.ratisfailover.internal.control;

import io.ratisfailover.AdminRejectedException;
import io.ratisfailover.MemberId;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.spi.DatabaseAdapter;
import io.ratisfailover.spi.Upstream;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * An operator's commands on this member's database: restart, reload, and reinitialize from the
 * primary. Each runs on the operation lane, queued behind the agent's own operations; safe from any thread.
 */
public final class OperatorCommands {
  private final MemberId self;
  private final Loop loop;
  /** Null for a witness, which has no database. */
  private final DatabaseOperations operations;
  private final Supplier<LocalSnapshot> snapshot;

  OperatorCommands(MemberId self, Loop loop, DatabaseOperations operations, Supplier<LocalSnapshot> snapshot) {
    this.self = self;
    this.loop = loop;
    this.operations = operations;
    this.snapshot = snapshot;
  }

  public CompletableFuture<Void> restart() {
    return run("restart", DatabaseAdapter::restart);
  }

  public CompletableFuture<Void> reload() {
    return run("reload", DatabaseAdapter::reload);
  }

  /** Only a standby is reinitialized, and only while there is a primary to clone from. */
  public CompletableFuture<Void> reinitialize() {
    ClusterState state = snapshot.get().state();
    if (state.primary().filter(self::equals).isPresent()) {
      return CompletableFuture.failedFuture(new AdminRejectedException(AdminRejectedException.Reason.NOT_ELIGIBLE,
          self + " is the primary; only a standby can be reinitialized"));
    }
    return currentUpstream()
        .map(upstream -> run("reinitialize", adapter -> adapter.reinitialize(upstream)))
        .orElseGet(() -> CompletableFuture.failedFuture(new AdminRejectedException(
            AdminRejectedException.Reason.NO_CANDIDATE, "there is no primary to clone from")));
  }

  /** The upstream a reinitialized standby would clone from: the current primary, if any. */
  private Optional<Upstream> currentUpstream() {
    ClusterState s = snapshot.get().state();
    return s.primary().filter(p -> !p.equals(self)).map(p -> MemberRuntime.upstream(s, p));
  }

  private CompletableFuture<Void> run(String name, DatabaseCommand command) {
    if (operations == null) {
      return CompletableFuture.failedFuture(new IllegalStateException("witness " + self + " has no database"));
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    loop.execute(() -> operations.runOperatorCommand(name, command, done));
    return done;
  }
}

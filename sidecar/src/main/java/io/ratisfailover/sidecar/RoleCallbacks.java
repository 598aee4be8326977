package io.ratisfailover.sidecar;

import io.ratisfailover.LocalRole;
import io.ratisfailover.RoleChange;
import io.ratisfailover.RoleListener;
import io.ratisfailover.node.config.Callbacks;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Turns this member's role changes and database operations into callbacks, with Patroni's role
 * names: {@code on_start} when the agent first takes a role, {@code on_role_change} whenever that
 * role changes ({@code primary} once promoted, {@code demoted} from the start of a switchover's
 * drain or a fence, while the old primary stops taking writes, {@code replica}), {@code on_restart},
 * {@code on_reload} and {@code on_stop} with the role at the time. It only queues: it runs on the
 * agent's thread and must never hold it.
 */
final class RoleCallbacks implements RoleListener {
  /** Before the agent took a role, as Patroni calls a member without a running database. */
  static final String NO_ROLE = "uninitialized";

  private final CallbackRunner runner;
  private String role = NO_ROLE;
  private boolean started;

  RoleCallbacks(CallbackRunner runner) {
    this.runner = runner;
  }

  @Override
  public void roleChanged(RoleChange change) {
    patroniRole(change.to()).ifPresent(next -> {
      synchronized (this) {
        if (!started) {
          started = true;
          role = next;
          runner.fire(Callbacks.Action.ON_START, next);
        } else if (!next.equals(role)) {
          role = next;
          runner.fire(Callbacks.Action.ON_ROLE_CHANGE, next);
        }
      }
    });
  }

  synchronized CompletableFuture<CallbackRunner.Result> fire(Callbacks.Action action) {
    return runner.fire(action, role);
  }

  /**
   * PostgreSQL was stopped with the member: fires {@code on_stop} if the agent ever took a role
   * (as Patroni, only for a database it ran), waits for what is queued for up to the callbacks'
   * timeout, then kills what still runs.
   */
  void stopped() {
    synchronized (this) {
      if (started) {
        runner.fire(Callbacks.Action.ON_STOP, role);
      }
    }
    runner.close();
  }

  /**
   * The role a callback reports, if the agent's role is one: a candidate is not promoted yet and
   * keeps reporting what it was.
   */
  static Optional<String> patroniRole(LocalRole role) {
    return switch (role) {
      case REPLICA -> Optional.of("replica");
      case PRIMARY -> Optional.of("primary");
      case DEMOTING -> Optional.of("demoted");
      case STARTING, WITNESS, CANDIDATE, STOPPED -> Optional.empty();
    };
  }
}

package io.ratisfailover;

import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the application's role listeners about a role change, each on the listener executor: a
 * listener that throws is logged and never stops the others or the agent.
 */
final class RoleListeners implements Consumer<RoleChange> {
  // Logged under FailoverMember, which told its listeners itself before this class had the job.
  private static final Logger log = LoggerFactory.getLogger(FailoverMember.class);

  private final List<RoleListener> listeners;
  private final Executor executor;

  RoleListeners(List<RoleListener> listeners, Executor executor) {
    this.listeners = List.copyOf(listeners);
    this.executor = executor;
  }

  @Override
  public void accept(RoleChange change) {
    listeners.forEach(l -> executor.execute(() -> notify(l, change)));
  }

  private static void notify(RoleListener listener, RoleChange change) {
    try {
      listener.roleChanged(change);
    } catch (RuntimeException e) {
      log.error("member {}: role listener {} failed", change.member(), listener, e);
    }
  }
}

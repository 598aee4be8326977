package io.ratisfailover.internal.control;

import io.ratisfailover.internal.state.ClusterState;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** Lets callers on other threads wait, without polling, for the applied state to satisfy a condition. */
public final class StateWatchers {
  private record Watcher(Predicate<ClusterState> condition, CompletableFuture<ClusterState> future) {}

  private final List<Watcher> watchers = new CopyOnWriteArrayList<>();

  /** Completes when {@code condition} holds for {@code current} or for a later state. */
  public CompletableFuture<ClusterState> await(ClusterState current, Predicate<ClusterState> condition) {
    CompletableFuture<ClusterState> future = new CompletableFuture<>();
    Watcher w = new Watcher(condition, future);
    watchers.add(w);
    future.whenComplete((s, e) -> watchers.remove(w));
    if (condition.test(current)) {
      future.complete(current);
    }
    return future;
  }

  /** Called with every newly applied state. */
  public void offer(ClusterState state) {
    for (Watcher w : watchers) {
      if (w.condition().test(state)) {
        w.future().complete(state);
      }
    }
  }
}

package io.ratisfailover.internal.ratis;

import io.ratisfailover.Ticker;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.apache.ratis.client.RaftClient;

/**
 * Notices a command client whose ordered window is stuck: a request of it unanswered for longer
 * than {@code stallAfter} while this member's server went on applying entries, so the group commits
 * and only this client's requests wait. Ratis 3.3 can leave the window waiting at a new leader for
 * requests that leader never received (after a blocking call on the same client met the leader
 * first, for one); the client does not recover by itself, and a primary's renewals would stall
 * until its lease ran out. A fresh client starts a fresh window.
 */
final class StalledClientWatch {
  private record Sent(RaftClient client, long atNanos, long appliedIndex) {}

  private final Map<Long, Sent> waiting = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();
  private final Ticker ticker;
  private final long stallNanos;
  /** The index this member's server has applied; negative while unknown. */
  private final LongSupplier appliedIndex;

  StalledClientWatch(Ticker ticker, Duration stallAfter, LongSupplier appliedIndex) {
    this.ticker = ticker;
    this.stallNanos = stallAfter.toNanos();
    this.appliedIndex = appliedIndex;
  }

  /** A request goes out on {@code client}; the id to call {@link #answered} with. */
  long sent(RaftClient client) {
    long id = ids.incrementAndGet();
    waiting.put(id, new Sent(client, ticker.nanoTime(), appliedIndex.getAsLong()));
    return id;
  }

  void answered(long id) {
    waiting.remove(id);
  }

  /** Why {@code client} looks stuck, if it does. */
  Optional<String> stuck(RaftClient client) {
    long now = ticker.nanoTime();
    long applied = appliedIndex.getAsLong();
    for (Sent s : waiting.values()) {
      if (s.client() == client && now - s.atNanos() >= stallNanos && s.appliedIndex() >= 0 && applied > s.appliedIndex()) {
        return Optional.of("a request unanswered for " + (now - s.atNanos()) / 1_000_000 + " ms while this member"
            + " applied entries " + (s.appliedIndex() + 1) + " to " + applied);
      }
    }
    return Optional.empty();
  }
}

package io.ratisfailover.internal.control;

import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * The synchronous-standby records this member sent that may still apply. The state machine refuses
 * a request whose sequence number is at or below the last it applied from the same member, so a
 * record stops counting once it, or any later command of ours, was applied or refused. Until then
 * it counts even when a newer record went out after its answer timed out: the older one can still
 * apply after it (docs/design.md §4.7). Loop thread only.
 */
final class PendingSyncRecords {
  private final NavigableMap<Long, SyncRecord> bySeq = new TreeMap<>();

  void sent(long seq, SyncRecord record) {
    bySeq.put(seq, record);
  }

  /** A command of ours with sequence {@code seq} was applied or refused: nothing sent before it can apply. */
  void settledThrough(long seq) {
    bySeq.headMap(seq, true).clear();
  }

  /** Every record still in flight. */
  Set<SyncRecord> mayStillApply() {
    return Set.copyOf(bySeq.values());
  }
}

package io.ratisfailover.internal.control;

import io.ratisfailover.MemberId;
import io.ratisfailover.internal.state.ClusterState;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A statement about where acknowledged commits are: each is on at least {@code quorum} of
 * {@code members} — all of them outside quorum commit, any {@code quorum} with {@code ANY n}. The
 * replicated record must always be true, so the primary's PostgreSQL setting (which makes the
 * statement true for new commits) must imply every record that is or may still become the record
 * (docs/design.md §4.7).
 *
 * @param quorum 0 exactly when {@code members} is empty: then it says nothing
 */
record SyncRecord(Set<MemberId> members, int quorum) {
  static final SyncRecord NONE = new SyncRecord(Set.of(), 0);

  SyncRecord {
    members = Set.copyOf(members);
    if (quorum < 0 || quorum > members.size() || (quorum == 0) != members.isEmpty()) {
      throw new IllegalArgumentException("a quorum of " + quorum + " out of " + members + " is impossible");
    }
  }

  /** The record in {@code state}. */
  static SyncRecord of(ClusterState state) {
    return new SyncRecord(state.synchronousStandbys(), state.synchronousQuorum());
  }

  /** Every one of {@code members}. */
  static SyncRecord all(Set<MemberId> members) {
    return new SyncRecord(members, members.size());
  }

  /**
   * Whether every commit placed as this record says is also placed as {@code other} says: in the
   * worst case a commit is on {@code quorum} of {@code members}, as few of them in {@code other} as
   * possible.
   */
  boolean implies(SyncRecord other) {
    Set<MemberId> outside = new HashSet<>(members);
    outside.removeAll(other.members);
    return Math.max(0, quorum - outside.size()) >= other.quorum;
  }

  /**
   * How many members of the record a candidate must have compared its position with so that at
   * least one of them holds every acknowledged commit: one more than can lack a commit.
   */
  int mustHear() {
    return members.size() - quorum + 1;
  }

  /**
   * The most useful record both {@code a} and {@code b} imply — true whichever of the two holds —
   * the one an election needs to hear the fewest members of; {@link #NONE} if they share nothing.
   */
  static SyncRecord strongestImpliedByBoth(SyncRecord a, SyncRecord b) {
    Set<MemberId> common = new TreeSet<>(a.members);
    common.retainAll(b.members);
    Set<MemberId> either = new TreeSet<>(a.members);
    either.addAll(b.members);
    SyncRecord best = NONE;
    for (Set<MemberId> candidate : List.of(common, a.members, b.members, either)) {
      int quorum = Math.min(a.quorum - missing(a.members, candidate), b.quorum - missing(b.members, candidate));
      if (quorum < 1) {
        continue;
      }
      SyncRecord r = new SyncRecord(candidate, quorum);
      if (best.members.isEmpty() || r.mustHear() < best.mustHear()
          || (r.mustHear() == best.mustHear() && r.quorum > best.quorum)) {
        best = r;
      }
    }
    return best;
  }

  private static int missing(Set<MemberId> from, Set<MemberId> in) {
    int n = 0;
    for (MemberId m : from) {
      if (!in.contains(m)) {
        n++;
      }
    }
    return n;
  }

  @Override
  public String toString() {
    return members.isEmpty() ? "none" : quorum == members.size() ? "all of " + new TreeSet<>(members)
        : "any " + quorum + " of " + new TreeSet<>(members);
  }
}

package io.ratisfailover.internal.control;

import io.ratisfailover.MemberId;
import java.util.Optional;

/** Whether this node leads the Raft group, so that its arbiter acts, and since when; who leads, for views. Loop thread only. */
final class Leadership {
  private boolean leads;
  private long since;
  private Optional<MemberId> leader = Optional.empty();
  private long term;

  Leadership(long now) {
    this.since = now;
  }

  /** Records whether this node leads at {@code now}; whether that changed. */
  boolean set(boolean isLeader, long now) {
    if (isLeader == leads) {
      return false;
    }
    if (isLeader) {
      since = now;
    }
    leads = isLeader;
    return true;
  }

  void observed(Optional<MemberId> leaderId, long raftTerm) {
    leader = leaderId;
    term = raftTerm;
  }

  boolean leads() {
    return leads;
  }

  long since() {
    return since;
  }

  Optional<MemberId> leader() {
    return leader;
  }

  long term() {
    return term;
  }
}

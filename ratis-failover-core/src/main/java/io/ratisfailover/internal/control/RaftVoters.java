package io.ratisfailover.internal.control;

import io.ratisfailover.MemberId;
import io.ratisfailover.Peer;
import java.time.Duration;
import java.util.List;

/**
 * The Raft group's voters and the changes of them (Raft reconfiguration): Ratis in production.
 * Both changes block until the new configuration is committed, and are no-ops when there is nothing
 * to change, so a change left half done (a fault in the middle) is finished by repeating it.
 */
public interface RaftVoters {

  /** The voters of the latest configuration this member's Raft server holds. */
  List<MemberId> voters();

  /**
   * Adds {@code peer} as a voter once the leader has brought it up to date (the log, or a snapshot).
   *
   * @param attemptTimeout how long one attempt may wait for that and for the commit
   * @throws io.ratisfailover.FailoverException naming why it could not be done
   */
  void addVoter(Peer peer, Duration attemptTimeout);

  /** Removes {@code member} from the voters. As {@link #addVoter}. */
  void removeVoter(MemberId member, Duration attemptTimeout);
}

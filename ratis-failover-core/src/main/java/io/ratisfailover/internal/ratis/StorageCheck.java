package io.ratisfailover.internal.ratis;

import io.ratisfailover.MemberId;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Decides, before a member's Raft server starts, whether its storage may be trusted (review B7).
 * A Raft voter promises never to forget what it acknowledged: a member whose storage was wiped
 * or restored from an older copy has forgotten, and its vote could elect a candidate that lacks
 * committed entries (epoch reuse, lost commits). The local disk alone cannot tell "wiped" from
 * "first start of a new cluster"; the peers can, in two ways:
 * <ul>
 *   <li>each Ratis server remembers the commit index every follower last reported (in memory):
 *       the storage is refused when it holds less than a peer saw this member commit;
 *   <li>the replicated state records each member's latest status report (durable, so it survives
 *       restarts of every peer and changes of Raft leader): an empty storage is refused when the
 *       cluster has heard from this member before, and any storage holding less than the log index
 *       the member said it had applied in that report.
 * </ul>
 *
 * <p>When no peer answers, the member starts: the peers of a brand-new cluster are all starting
 * too, and waiting for them would deadlock the first start. The risk accepted: a member whose
 * storage was lost while every other member was down as well is not caught.
 */
public final class StorageCheck {
  /** The operator's way back, named in every refusal. */
  private static final String RECOVERY = "to re-add it as a new voter that first catches up, start it once with"
      + " --rejoin (FailoverMember.Builder.rejoin) while the other members are up";

  private StorageCheck() {}

  /** Why the storage must not be used, or empty when the member may start from it. */
  public static Optional<String> refusal(MemberId self, Path storage, StoredLog local, List<PeerReport> reports) {
    Optional<PeerReport> knowsMore = reports.stream().filter(r -> r.committedBySelf() > local.lastIndex())
        .max(Comparator.comparingLong(PeerReport::committedBySelf));
    if (knowsMore.isPresent()) {
      PeerReport r = knowsMore.get();
      String seen = "peer " + r.peer() + " saw " + self + " commit up to log index " + r.committedBySelf();
      return Optional.of(local.blank() ? empty(self, storage, seen) : older(self, storage, local, seen));
    }
    Optional<PeerReport> recordsMore = reports.stream().filter(r -> !local.blank() && r.appliedBySelf() > local.lastIndex())
        .max(Comparator.comparingLong(PeerReport::appliedBySelf));
    if (recordsMore.isPresent()) {
      PeerReport r = recordsMore.get();
      return Optional.of(older(self, storage, local, "the cluster's state on peer " + r.peer() + " records that " + self
          + " reported having applied the log up to index " + r.appliedBySelf()));
    }
    if (local.blank()) {
      Optional<String> known = reports.stream().filter(r -> r.reportedBySelf() > 0).findFirst().map(r -> empty(self, storage,
          "the cluster's state on peer " + r.peer() + " holds a report from " + self + " at log index " + r.reportedBySelf()));
      if (known.isPresent()) {
        return known;
      }
      // A running peer of a group that has committed entries, whose state could not be read, may know us:
      // starting blank would be a guess. A group that committed nothing yet is a new cluster starting.
      return reports.stream().filter(r -> r.reportedBySelf() == PeerReport.UNREAD && r.groupCommitted() > 0).findFirst()
          .map(r -> "the Raft"
          + " storage of " + self + " in " + storage + " is empty and peer " + r.peer() + " answered, but its cluster"
          + " state could not be read to tell whether " + self + " was a member before: start again once it answers");
    }
    return Optional.empty();
  }

  private static String empty(MemberId self, Path storage, String evidence) {
    return "the Raft storage of " + self + " in " + storage + " is empty but " + evidence + ": it was wiped or replaced,"
        + " and voting as " + self + " again could elect a member without committed entries; " + RECOVERY;
  }

  private static String older(MemberId self, Path storage, StoredLog local, String evidence) {
    return "the Raft storage of " + self + " in " + storage + " holds the log up to index " + local.lastIndex() + " but "
        + evidence + ": it is an older copy, and voting as " + self + " again could elect a member without committed"
        + " entries; " + RECOVERY;
  }
}

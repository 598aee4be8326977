package io.ratisfailover.internal.state;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.Epoch;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.Peer;
import io.ratisfailover.Tags;
import io.ratisfailover.spi.DatabaseStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/** What can be written to the Raft log. Each names, through its fields, what makes it safe to apply late or twice. */
public sealed interface Command {

  /**
   * Creates the cluster state; only the first one applies.
   *
   * @param ca the cluster CA: when present, every command from then on (this one included) must be
   *     signed by a member certificate it issued; empty for an unauthenticated cluster
   */
  record Bootstrap(String clusterName, List<Peer> peers, ClusterSettings settings, Optional<ClusterCa> ca)
      implements Command {
    public Bootstrap {
      Objects.requireNonNull(clusterName, "clusterName");
      Objects.requireNonNull(settings, "settings");
      Objects.requireNonNull(ca, "ca");
      peers = List.copyOf(peers);
    }

    /** An unauthenticated cluster. */
    public Bootstrap(String clusterName, List<Peer> peers, ClusterSettings settings) {
      this(clusterName, peers, settings, Optional.empty());
    }
  }

  /** A member's periodic report: who it is and, for a data member, its database status. */
  /**
   * @param appliedIndex the reporter's last applied log index when it sent the report
   * @param sampledAfterIndex the reporter's last applied log index when it started the database call
   *     that observed {@code status}: the status is no older than any entry up to there
   */
  record ReportStatus(Tags tags, String apiUrl, Map<String, String> attributes, Optional<DatabaseStatus> status,
      OptionalLong appliedIndex, OptionalLong sampledAfterIndex) implements Command {
    public ReportStatus {
      Objects.requireNonNull(tags, "tags");
      Objects.requireNonNull(apiUrl, "apiUrl");
      Objects.requireNonNull(status, "status");
      Objects.requireNonNull(appliedIndex, "appliedIndex");
      Objects.requireNonNull(sampledAfterIndex, "sampledAfterIndex");
      attributes = Map.copyOf(attributes);
    }

    /** A report that does not say when its status was observed. */
    public ReportStatus(Tags tags, String apiUrl, Map<String, String> attributes, Optional<DatabaseStatus> status,
        OptionalLong appliedIndex) {
      this(tags, apiUrl, attributes, status, appliedIndex, OptionalLong.empty());
    }
  }

  /** The primary of {@code epoch} renews its lease, asking for {@code leaseMillis}. */
  record Renew(Epoch epoch, long leaseMillis) implements Command {
    public Renew {
      Objects.requireNonNull(epoch, "epoch");
    }
  }

  /**
   * The primary of {@code epoch} gives the role up (its database is gone, or a switchover).
   *
   * @param silentFor how long, by the releasing member's clock, it had not answered 200 on
   *     {@code /primary} when it sent this (in a switchover, the clean stop's length); zero when unknown
   */
  record Release(Epoch epoch, Optional<Lsn> lsn, String reason, Duration silentFor) implements Command {
    public Release {
      Objects.requireNonNull(epoch, "epoch");
      Objects.requireNonNull(lsn, "lsn");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(silentFor, "silentFor");
      if (silentFor.isNegative()) {
        throw new IllegalArgumentException("silentFor must not be negative, got " + silentFor);
      }
    }

    /** A release whose sender's silence is not known (yet): the whole hold-off applies. */
    public Release(Epoch epoch, Optional<Lsn> lsn, String reason) {
      this(epoch, lsn, reason, Duration.ZERO);
    }

    public Release silentFor(Duration silence) {
      return new Release(epoch, lsn, reason, silence);
    }
  }

  /**
   * The arbiter elects {@code candidate} for {@code epoch}, provided nothing was renewed or released
   * since the index it decided on (compare-and-set in log order).
   *
   * @param predecessorSilent a lower bound, in real time, on how long before the arbiter decided the
   *     previous primary had stopped answering 200 on {@code /primary} (its lease had ended, or it had
   *     released); the elected member holds its own 200 back only for what remains of
   *     {@code primary_hold_off} after it. Zero when unknown, which keeps the whole hold-off.
   */
  record Elect(MemberId candidate, Epoch epoch, long expectedRenewalIndex, HistoryEntry.Cause cause, String reason,
      Duration predecessorSilent) implements Command {
    public Elect {
      Objects.requireNonNull(candidate, "candidate");
      Objects.requireNonNull(cause, "cause");
      Objects.requireNonNull(epoch, "epoch");
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(predecessorSilent, "predecessorSilent");
      if (predecessorSilent.isNegative()) {
        throw new IllegalArgumentException("predecessorSilent must not be negative, got " + predecessorSilent);
      }
    }

    /** An election that claims nothing about the previous primary's silence. */
    public Elect(MemberId candidate, Epoch epoch, long expectedRenewalIndex, HistoryEntry.Cause cause, String reason) {
      this(candidate, epoch, expectedRenewalIndex, cause, reason, Duration.ZERO);
    }
  }

  /** The primary of {@code epoch} has promoted to {@code timeline} at {@code lsn}. */
  record RecordPromotion(Epoch epoch, long timeline, Lsn lsn) implements Command {
    public RecordPromotion {
      Objects.requireNonNull(epoch, "epoch");
      Objects.requireNonNull(lsn, "lsn");
    }
  }

  /** The primary of {@code epoch} records the standbys that now confirm every commit. */
  /**
   * The primary of {@code epoch} records its synchronous standbys: every acknowledged commit is on at
   * least {@code quorum} of {@code members} (all of them outside quorum commit).
   */
  record SetSynchronous(Epoch epoch, Set<MemberId> members, int quorum) implements Command {
    public SetSynchronous {
      Objects.requireNonNull(epoch, "epoch");
      members = Set.copyOf(members);
    }

    /** Every one of {@code members} holds each acknowledged commit. */
    public SetSynchronous(Epoch epoch, Set<MemberId> members) {
      this(epoch, members, members.size());
    }
  }

  record SetPause(boolean paused) implements Command {}

  record RequestSwitchover(Optional<MemberId> from, Optional<MemberId> to, Epoch epoch, Optional<Instant> scheduledAt)
      implements Command {
    public RequestSwitchover {
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(to, "to");
      Objects.requireNonNull(epoch, "epoch");
      Objects.requireNonNull(scheduledAt, "scheduledAt");
    }
  }

  record CancelSwitchover() implements Command {}

  record UpdateSettings(ClusterSettings settings) implements Command {
    public UpdateSettings {
      Objects.requireNonNull(settings, "settings");
    }
  }

  /**
   * An operator adds {@code peer}. Applied before Raft counts the new member's vote, so that the
   * member is known (its reports and signatures accepted) once it votes.
   */
  record AddMember(Peer peer) implements Command {
    public AddMember {
      Objects.requireNonNull(peer, "peer");
    }
  }

  /**
   * An operator removes {@code member}. Applied before Raft stops counting its vote: from then on
   * it is never a candidate and its requests are refused; the primary cannot be removed.
   */
  record RemoveMember(MemberId member) implements Command {
    public RemoveMember {
      Objects.requireNonNull(member, "member");
    }
  }
}

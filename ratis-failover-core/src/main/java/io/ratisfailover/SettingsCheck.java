package io.ratisfailover;

import io.ratisfailover.internal.ratis.RaftTlsParameters;
import io.ratisfailover.spi.DatabaseAdapter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The rules on a member's settings, for {@link FailoverMember.Builder}: each refusal names its setting. */
final class SettingsCheck {
  private SettingsCheck() {}

  /** Every rule that needs neither the database adapter nor the Raft TLS files. */
  static void settings(MemberId memberId, String clusterName, Path storage, Timing timing, long snapshotEvery,
      List<Peer> peers) {
    if (memberId == null) {
      throw SettingException.worded("memberId", "member id is required");
    }
    if (clusterName == null || clusterName.isBlank()) {
      throw SettingException.worded("clusterName", "cluster name is required");
    }
    if (storage == null) {
      throw SettingException.worded("storageDirectory", "storage directory is required");
    }
    if (timing == null) {
      throw SettingException.worded("timing", "timing is required");
    }
    if (snapshotEvery < 10) {
      throw SettingException.at("snapshotEvery", "must be at least 10 entries, got " + snapshotEvery);
    }
    Set<MemberId> ids = new HashSet<>();
    Set<String> addresses = new HashSet<>();
    for (Peer p : peers) {
      if (!ids.add(p.id())) {
        throw SettingException.worded("peers", "peer " + p.id() + " is listed twice");
      }
      if (!addresses.add(p.raftAddress())) {
        throw SettingException.worded("peers", "raft address " + p.raftAddress() + " is used by two peers");
      }
    }
    if (peers.stream().noneMatch(p -> p.id().equals(memberId))) {
      throw SettingException.worded("peers", "member " + memberId + " is not among the peers " + ids);
    }
    if (peers.stream().noneMatch(p -> p.kind() == MemberKind.DATA)) {
      throw SettingException.worded("peers", "the peers include no data member");
    }
  }

  /** A data member needs a database adapter; a witness has no use for one. */
  static void database(MemberId memberId, List<Peer> peers, DatabaseAdapter database) {
    MemberKind kind = peers.stream().filter(p -> p.id().equals(memberId)).findFirst().orElseThrow().kind();
    if (kind == MemberKind.DATA && database == null) {
      throw SettingException.worded("database", "data member " + memberId + " needs a database adapter");
    }
    if (kind == MemberKind.WITNESS && database != null) {
      throw SettingException.worded("database", "witness " + memberId + " cannot have a database adapter");
    }
  }

  /** The Raft port's security: the loaded TLS files, or none when told so explicitly. */
  static RaftTlsParameters raftSecurity(MemberId memberId, RaftTls raftTls, boolean insecureRaft, Instant now) {
    if (raftTls == null && !insecureRaft) {
      throw SettingException.worded("raftTls", "member " + memberId + " has no Raft TLS: set raftTls (mutual TLS against"
          + " the cluster CA) or, only where nobody else can reach the Raft port, insecureRaft()");
    }
    if (raftTls != null && insecureRaft) {
      throw SettingException.worded("insecureRaft", "member " + memberId + " sets both raftTls and insecureRaft(); choose one");
    }
    if (insecureRaft) {
      return RaftTlsParameters.insecure();
    }
    try {
      return RaftTlsParameters.load(raftTls, memberId, now);
    } catch (IllegalArgumentException e) {
      throw SettingException.worded("raftTls", e.getMessage());
    }
  }

  /**
   * The Raft port's security of a member whose group runs on {@code h}: the server's, once the
   * member fits it and sets none of the server's own settings ({@code ownServerSet}: storage, TLS, bind host).
   */
  static RaftTlsParameters hostedOn(RaftHost h, MemberId memberId, String clusterName, List<Peer> peers, Timing timing,
      boolean ownServerSet) {
    if (ownServerSet) {
      throw SettingException.worded("raftHost", "member " + memberId + " of cluster " + clusterName + " runs on a shared"
          + " Raft server: its storage, TLS and bind host are the server's; do not set them on the member");
    }
    Peer self = peers.stream().filter(p -> p.id().equals(memberId)).findFirst().orElseThrow();
    if (!h.memberId().equals(memberId)) {
      throw SettingException.worded("raftHost", "the shared Raft server is member " + h.memberId() + "'s, not " + memberId + "'s");
    }
    if (!self.raftAddress().equals(h.raftAddress())) {
      throw SettingException.worded("raftHost", "cluster " + clusterName + " lists " + memberId + " at " + self.raftAddress()
          + " but its shared Raft server is at " + h.raftAddress());
    }
    if (!timing.electionTimeoutMin().equals(h.timing().electionTimeoutMin())
        || !timing.electionTimeoutMax().equals(h.timing().electionTimeoutMax())) {
      throw SettingException.worded("raftHost", "cluster " + clusterName + ": the election timeouts must be those of the"
          + " shared Raft server (" + h.timing().electionTimeoutMin().toMillis() + "-"
          + h.timing().electionTimeoutMax().toMillis() + " ms), which every cluster on it shares");
    }
    return h.tls();
  }
}

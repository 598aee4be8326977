package io.ratisfailover.internal.ratis;

import io.ratisfailover.FailoverException;
import io.ratisfailover.HostPort;
import io.ratisfailover.MemberId;
import io.ratisfailover.Peer;
import io.ratisfailover.RaftLeaderPreference;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.control.ConfigAgreement;
import io.ratisfailover.internal.control.RootCause;
import io.ratisfailover.internal.state.ClusterCa;
import io.ratisfailover.internal.state.ClusterStateMachine;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This member's Raft server in its cluster's group: the group itself, the checks on the storage and
 * on the peers' view of the cluster before the server starts, the start (or rejoin), and access to
 * the running division. Ratis' types stay inside this package.
 */
public final class RaftNode implements AutoCloseable {
  // Logged under FailoverMember, as before this class was split out of it: operators and tests
  // follow one logger for a member's start.
  private static final Logger log = LoggerFactory.getLogger("io.ratisfailover.FailoverMember");

  /** Everything the server is started with. */
  public record Settings(MemberId self, String clusterName, List<Peer> peers, Timing timing, Path storage,
      long snapshotEvery, Optional<String> bindHost, boolean rejoin, RaftLeaderPreference leaderPreference) {}

  private final Settings settings;
  private final Peer selfPeer;
  private final RaftGroup group;
  private final RaftTlsParameters tls;
  /** The shared server this group runs on, when it has no server of its own. */
  private final Optional<SharedRaftServer> shared;
  private volatile RaftServer server;
  /**
   * A new member with a blank storage that the running group does not list yet (it is being added
   * through reconfiguration): it starts outside the configuration, as a rejoining member does.
   */
  private boolean joining;

  /**
   * @param shared a started server shared by many groups to add this group to, instead of a server
   *     of its own ({@code settings.storage()} is then that server's resting storage)
   */
  public RaftNode(Settings settings, RaftTlsParameters tls, Optional<SharedRaftServer> shared) {
    this.settings = settings;
    this.tls = tls;
    this.shared = shared;
    this.selfPeer = settings.peers().stream().filter(p -> p.id().equals(settings.self())).findFirst().orElseThrow();
    this.group = RaftGroup.valueOf(groupId(settings.clusterName()), settings.peers().stream()
        .map(p -> raftPeer(p, settings.leaderPreference())).toList());
  }

  public RaftGroup group() {
    return group;
  }

  /**
   * Checks the storage against what the peers know, then starts the server (and, for a rejoin,
   * has this member added back as a voter).
   *
   * @return where the server listens, for the log
   * @throws FailoverException naming the cause; the server is closed again
   */
  public String start(StateMachineEvents events, Optional<ClusterCa> ca) {
    if (shared.isPresent()) {
      return startShared(shared.get(), new RatisStateMachine(settings.self(), new ClusterStateMachine(), events, ca));
    }
    MemberId id = settings.self();
    HostPort bind = HostPort.parse(selfPeer.raftAddress(), "raft address of " + id);
    if (settings.bindHost().isPresent()) {
      bind = new HostPort(settings.bindHost().get(), bind.port());
    }
    RaftServer s = null;
    try (GroupMembership membership = new GroupMembership(id, raftPeer(selfPeer, settings.leaderPreference()), group, settings.timing(), tls)) {
      requireBindable(bind);
      prepareStorage(membership);
      // RECOVER formats a missing storage: prepareStorage has made sure that is a new member's.
      s = RaftServer.newBuilder().setServerId(RaftPeerId.valueOf(id.value())).setGroup(startingGroup())
          .setStateMachine(new RatisStateMachine(id, new ClusterStateMachine(), events, ca))
          .setProperties(RatisProperties.server(settings.timing(), settings.storage(), bind, settings.snapshotEvery()))
          .setParameters(tls.parameters())
          .setOption(RaftStorage.StartupOption.RECOVER).build();
      s.start();
      if (settings.rejoin()) {
        membership.addSelf();
      }
      server = s;
      return bind.toString();
    } catch (FailoverException e) {
      closeQuietly(s);
      throw e;
    } catch (IOException | RuntimeException e) {
      closeQuietly(s);
      throw new FailoverException("cannot start the Raft server of member " + id + " on " + bind + ": "
          + RootCause.message(e), e);
    }
  }

  /** As {@link #start}, with this group added to the shared server's running server instead. */
  private String startShared(SharedRaftServer host, RatisStateMachine machine) {
    boolean added = false;
    try (GroupMembership membership = new GroupMembership(settings.self(), raftPeer(selfPeer, settings.leaderPreference()), group, settings.timing(), tls)) {
      prepareStorage(membership);
      host.add(startingGroup(), machine);
      added = true;
      server = host.server();
      if (settings.rejoin()) {
        membership.addSelf();
      }
    } catch (IOException | RuntimeException e) {
      if (added) {
        removeFromShared(host);
      }
      server = null;
      throw e instanceof FailoverException f ? f : new FailoverException("cannot add cluster " + settings.clusterName()
          + " to the shared Raft server of member " + settings.self() + ": " + RootCause.message(e), e);
    }
    return selfPeer.raftAddress() + " (shared)";
  }

  private void removeFromShared(SharedRaftServer host) {
    try {
      host.remove(group.getGroupId());
    } catch (IOException | RuntimeException e) {
      log.warn("member {}: removing cluster {} from the shared Raft server failed: {}", settings.self(),
          settings.clusterName(), e.toString());
    }
  }

  /**
   * The configuration a blank storage starts from. A rejoining member starts outside it: a server
   * that counts itself a voter campaigns when no append reaches it within an election timeout, and
   * the leader, whose configuration no longer lists it, answers such a campaign by telling it to
   * shut down, which closes the server for good (chaos seed 492155, on a loaded host). Started with
   * an empty configuration (as Ratis starts a peer to be added), it stays initializing, without
   * elections, until the leader's appends bring the configuration that lists it.
   */
  private RaftGroup startingGroup() {
    return settings.rejoin() || joining ? RaftGroup.valueOf(group.getGroupId()) : group;
  }

  /**
   * Refuses a Raft storage the other members know to be lost or older than what this member
   * acknowledged (review B7, {@link StorageCheck}). For a rejoin, instead: leave the voters first,
   * then drop whatever the storage holds, so the server starts blank and outside the majority
   * until the leader has brought it up to date.
   */
  private void prepareStorage(GroupMembership membership) throws IOException {
    MemberId id = settings.self();
    Path storage = settings.storage();
    RaftGroupId groupId = group.getGroupId();
    if (settings.rejoin()) {
      log.warn("member {}: rejoining cluster {}: leaving the Raft voters and discarding the Raft storage in {}",
          id, settings.clusterName(), StoredLog.groupDirectory(storage, groupId));
      membership.removeSelf();
      StoredLog.discard(storage, groupId);
      return;
    }
    StoredLog local = StoredLog.read(storage, groupId);
    List<PeerReport> reports = membership.survey();
    joining = local.blank() && !reports.isEmpty() && reports.stream().noneMatch(PeerReport::listsSelf);
    // A joining member is compared once it has been added and has read the state (its file lists
    // itself; the cluster's state does not until the addition).
    Optional<String> refusal = StorageCheck.refusal(id, storage, local, reports)
        .or(() -> joining ? Optional.empty() : disagreement(membership, reports));
    if (refusal.isPresent()) {
      throw new FailoverException(refusal.get());
    }
    if (joining) {
      log.warn("member {}: the running group of cluster {} does not list this member yet: starting outside it until it"
          + " is added (rfctl add-member on a running member)", id, settings.clusterName());
    }
    if (local.blank() && reports.isEmpty()) {
      log.warn("member {}: the Raft storage in {} is empty and no peer answered: starting as a member of a new cluster",
          id, storage);
    }
  }

  /**
   * Whether this member's cluster name and peers list differ from the cluster's, as the peers that
   * answered hold it (issue 11, item 6). When none answered about our group, a peer may still serve
   * the group of another cluster name: the one mistake that would otherwise only ever show as
   * "waiting for the cluster to be bootstrapped". A new cluster whose peers are all starting is
   * compared later, by the agent, once the state is read ({@code FailoverMember.refused()}).
   */
  private Optional<String> disagreement(GroupMembership membership, List<PeerReport> reports) {
    for (PeerReport r : reports) {
      Optional<String> removed = r.state().filter(s -> s.initialized() && s.membershipChanges() > 0
          && s.clusterName().equals(settings.clusterName()) && s.member(settings.self()).isEmpty())
          .map(s -> "member " + settings.self() + " is not a member of cluster " + s.clusterName() + " in the state of peer "
              + r.peer() + ": it was removed through reconfiguration; add it again (rfctl add-member) before starting it");
      if (removed.isPresent()) {
        return removed;
      }
      Optional<String> differs = r.state().flatMap(s -> ConfigAgreement.refusal(settings.clusterName(), settings.peers(), s,
          "the state of peer " + r.peer()));
      if (differs.isPresent()) {
        return differs;
      }
    }
    if (!reports.isEmpty()) {
      return Optional.empty();
    }
    List<RaftGroupId> servedHere = new java.util.ArrayList<>();
    shared.filter(SharedRaftServer::started).ifPresent(h -> h.server().getGroupIds().forEach(servedHere::add));
    return membership.otherCluster(servedHere).map(other -> ConfigAgreement.nameRefusal(settings.clusterName(),
        other.clusterName(), "the group peer " + other.peer() + " serves"));
  }

  /** The running server's division of the group. */
  public RaftServer.Division division() {
    try {
      RaftServer s = server;
      if (s == null) {
        throw new IllegalStateException("member " + settings.self() + " is not started");
      }
      return s.getDivision(group.getGroupId());
    } catch (IOException e) {
      throw new IllegalStateException("member " + settings.self() + " has no Raft division: " + e.getMessage(), e);
    }
  }

  /** The current Raft term, 0 before the server runs. */
  public long currentTerm() {
    try {
      return server == null ? 0 : division().getInfo().getCurrentTerm();
    } catch (RuntimeException e) {
      return 0;
    }
  }

  /** Whether {@link #start} succeeded. */
  public boolean started() {
    return server != null;
  }

  /** Stops the server, or, on a shared server, removes this group and leaves the others running. */
  @Override
  public void close() {
    if (shared.isEmpty()) {
      closeQuietly(server);
    } else if (server != null) {
      removeFromShared(shared.get());
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception e) {
        log.warn("closing {} failed: {}", c.getClass().getSimpleName(), e.toString());
      }
    }
  }

  /** Ratis reports a taken port with pages of stack traces; an operator needs one line. */
  public static void requireBindable(HostPort bind) throws IOException {
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(bind.host(), bind.port()));
    }
  }

  /** The Raft group of the cluster named {@code clusterName}: the same on every member. */
  public static RaftGroupId groupId(String clusterName) {
    return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("ratis-failover/" + clusterName).getBytes(StandardCharsets.UTF_8)));
  }

  /** A new group has no primary yet: its priorities favour the preferred kind. */
  static RaftPeer raftPeer(Peer p, RaftLeaderPreference preference) {
    return RaftPeer.newBuilder().setId(p.id().value()).setAddress(p.raftAddress())
        .setPriority(preference.priority(p.kind(), false)).build();
  }
}

package io.ratisfailover.internal.ratis;

import io.ratisfailover.FailoverException;
import io.ratisfailover.MemberId;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Codec;
import io.ratisfailover.internal.state.MemberRecord;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.CommitInfoProto;
import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.ProtoUtils;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Talks to the other members of the group through a Raft client alone, so it works before (and
 * without) this member's own Raft server: asks each peer what it knows of the group and of this
 * member, and removes
 * or re-adds this member as a voter. Ratis' shaded types stay inside this class.
 */
public final class GroupMembership implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(GroupMembership.class);
  /** Staging a re-added member includes sending it a snapshot: give each attempt time for that. */
  private static final long CHANGE_TIMEOUT_MS = 10_000;
  private static final int CHANGE_ATTEMPTS = 10;
  /**
   * Rounds (about 300 ms apart) spent waiting for a leader before giving up: an election among the
   * others can take many seconds on a loaded host, and giving up then leaves the member out for good.
   */
  private static final int LEADER_WAIT_ROUNDS = 300;
  /** Reading another group's state on a peer that already answered. */
  private static final long ASK_OTHER_TIMEOUT_MS = 3_000;

  private final MemberId self;
  private final RaftPeer selfPeer;
  private final RaftGroup group;
  private final RaftTlsParameters tls;
  /**
   * Asks with a timeout of one ttl: a peer that is down refuses the connection at once, and a
   * running peer's first answer can take over a second while the JVM warms up.
   */
  private final RaftClient asking;
  /** Changes the configuration with a long timeout: the leader answers once the change is committed. */
  private final RaftClient changing;

  /**
   * @param group the whole group, this member included
   * @param selfPeer this member as it should be listed in the group's configuration
   * @param tls how this member's own Raft connections are secured; the peers demand the same
   */
  public GroupMembership(MemberId self, RaftPeer selfPeer, RaftGroup group, Timing timing, RaftTlsParameters tls) {
    this.self = self;
    this.selfPeer = selfPeer;
    this.group = group;
    // Only the others: this member's own server is not running (or not yet a member).
    RaftGroup others = RaftGroup.valueOf(group.getGroupId(), group.getPeers().stream()
        .filter(p -> !p.getId().equals(selfPeer.getId())).toList());
    this.tls = tls;
    this.asking = client(others, timing.ttl().toMillis(), tls);
    this.changing = client(others, CHANGE_TIMEOUT_MS, tls);
  }

  /** No retries inside the client: {@link #change} retries the whole compare-and-set itself. */
  private static RaftClient client(RaftGroup group, long timeoutMillis, RaftTlsParameters tls) {
    RaftProperties p = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(timeoutMillis, TimeUnit.MILLISECONDS));
    return RaftClient.newBuilder().setRaftGroup(group).setProperties(p).setParameters(tls.parameters())
        .setRetryPolicy(RetryPolicies.noRetry()).build();
  }

  /**
   * Asks every other peer at once, so that start-up waits at most about one ttl even when peers
   * are cut off; a peer that does not answer (down, cut off, or no such group) is left out.
   */
  public List<PeerReport> survey() {
    List<RaftPeer> others = group.getPeers().stream().filter(p -> !p.getId().equals(selfPeer.getId())).toList();
    ExecutorService askers = Executors.newFixedThreadPool(Math.max(1, others.size()), r -> {
      Thread t = new Thread(r, "ratis-failover-" + self + "-survey");
      t.setDaemon(true);
      return t;
    });
    try {
      List<CompletableFuture<Optional<PeerReport>>> asked = others.stream()
          .map(peer -> CompletableFuture.supplyAsync(() -> report(peer), askers)).toList();
      return asked.stream().map(CompletableFuture::join).flatMap(Optional::stream).toList();
    } finally {
      askers.shutdownNow();
    }
  }

  private Optional<PeerReport> report(RaftPeer peer) {
    return info(peer).map(reply -> {
      // Read only once the peer has applied what it committed: a peer that just restarted and has not
      // replayed its log yet would answer "no report from you" for a member it did hear from.
      Optional<ClusterState> state = stateOf(asking, peer, Math.max(0, committedBy(reply, peer)));
      // The index of our latest report in the peer's applied state (any peer's, however stale); 0
      // if none; UNREAD when the peer, which did answer about the group, could not be asked for its
      // state: that is not "no report", it is "unknown".
      Optional<MemberRecord> record = state.flatMap(s -> s.member(self));
      long reported = state.isPresent() ? record.map(MemberRecord::statusIndex).orElse(0L) : PeerReport.UNREAD;
      return new PeerReport(MemberId.of(peer.getId().toString()), committedBy(reply, selfPeer), reported,
          record.map(MemberRecord::appliedIndex).orElse(0L),
          reply.getCommitInfos().stream().mapToLong(CommitInfoProto::getCommitIndex).max().orElse(-1), state,
          listsSelf(reply));
    });
  }

  /** Whether the peer's configuration (either half of one being changed) lists this member; true when unknown. */
  private boolean listsSelf(GroupInfoReply reply) {
    return reply.getConf().map(c -> java.util.stream.Stream.concat(c.getPeersList().stream(), c.getOldPeersList().stream())
        .anyMatch(p -> p.getId().equals(selfPeer.getId().toByteString()))).orElse(true);
  }

  /** The peer's applied state in {@code client}'s group, asked twice; empty when it could not be read. */
  private Optional<ClusterState> stateOf(RaftClient client, RaftPeer peer) {
    return stateOf(client, peer, 0);
  }

  /** The peer's applied state once it has applied at least {@code minIndex}; empty when it could not be read. */
  private Optional<ClusterState> stateOf(RaftClient client, RaftPeer peer, long minIndex) {
    for (int attempt = 1; attempt <= 2; attempt++) {
      try {
        RaftClientReply reply = client.io().sendStaleRead(Message.EMPTY, minIndex, peer.getId());
        if (reply.isSuccess()) {
          return Optional.of(Codec.decodeState(reply.getMessage().getContent()));
        }
        log.debug("member {}: peer {} refused to read its state: {}", self, peer.getId(), reply.getException());
      } catch (IOException | RuntimeException e) {
        log.debug("member {}: peer {} did not answer with its state: {}", self, peer.getId(), e.toString());
      }
    }
    return Optional.empty();
  }

  /** A peer that serves another cluster's group than ours, and that cluster's name. */
  public record OtherCluster(MemberId peer, String clusterName) {}

  /**
   * Asked when no peer answered about our group: whether a peer serves, instead, the group of
   * another cluster that lists this member. Members derive the group from the cluster name, so one
   * configured with another name than the rest would otherwise wait forever for a group nobody
   * else serves.
   *
   * @param servedHere the groups this member's own server already serves (a shared server hosting
   *     members of several clusters): those are other clusters, never this one misnamed
   */
  public Optional<OtherCluster> otherCluster(Collection<RaftGroupId> servedHere) {
    for (RaftPeer peer : group.getPeers()) {
      if (peer.getId().equals(selfPeer.getId())) {
        continue;
      }
      List<RaftGroupId> served;
      try {
        served = asking.getGroupManagementApi(peer.getId()).list().getGroupIds();
      } catch (IOException | RuntimeException e) {
        log.debug("member {}: peer {} did not list its groups: {}", self, peer.getId(), e.toString());
        continue;
      }
      for (RaftGroupId other : served) {
        // A group this member's own (shared) server already serves is another cluster it is in,
        // not this one under another name.
        if (other.equals(group.getGroupId()) || servedHere.contains(other)) {
          continue;
        }
        try (RaftClient client = client(RaftGroup.valueOf(other, List.of(peer)), ASK_OTHER_TIMEOUT_MS, tls)) {
          // A witness may serve several clusters, whose member ids may repeat ours: only a cluster
          // that lists this member at this member's own Raft address is ours under another name.
          Optional<ClusterState> state = stateOf(client, peer).filter(s -> s.initialized() && s.member(self)
              .filter(m -> m.peer().raftAddress().equals(selfPeer.getAddress())).isPresent());
          if (state.isPresent()) {
            return Optional.of(new OtherCluster(MemberId.of(peer.getId().toString()), state.get().clusterName()));
          }
        } catch (IOException e) {
          log.debug("member {}: closing a client of group {} failed: {}", self, other, e.toString());
        }
      }
    }
    return Optional.empty();
  }

  private static long committedBy(GroupInfoReply reply, RaftPeer peer) {
    return reply.getCommitInfos().stream().filter(c -> c.getServer().getId().equals(peer.getId().toByteString()))
        .mapToLong(CommitInfoProto::getCommitIndex).max().orElse(-1);
  }

  private Optional<GroupInfoReply> info(RaftPeer peer) {
    try {
      GroupInfoReply reply = asking.getGroupManagementApi(peer.getId()).info(group.getGroupId());
      return reply.isSuccess() ? Optional.of(reply) : Optional.empty();
    } catch (IOException | RuntimeException e) {
      log.debug("member {}: peer {} did not answer about the group: {}", self, peer.getId(), e.toString());
      return Optional.empty();
    }
  }

  /**
   * Removes this member from the group's voters (a no-op when it is no longer one), so that a
   * blank server of ours can never count toward a majority. Needs a leader and, with this
   * member gone, a majority of the remaining voters.
   *
   * @throws FailoverException naming why the change could not be made
   */
  public void removeSelf() {
    change("remove " + self + " from the voters", current -> {
      List<RaftPeer> next = current.stream().filter(p -> !p.getId().equals(selfPeer.getId())).toList();
      return next.size() == current.size() ? Optional.empty() : Optional.of(next);
    });
  }

  /**
   * Adds this member back as a voter. Ratis stages a new peer: the leader brings it up to date
   * (log or snapshot) before the configuration that counts its vote is committed, and only then
   * does this return. Our server must be running.
   */
  public void addSelf() {
    change("add " + self + " back as a voter", current -> {
      if (current.stream().anyMatch(p -> p.getId().equals(selfPeer.getId()))) {
        return Optional.empty();
      }
      List<RaftPeer> next = new ArrayList<>(current);
      next.add(selfPeer);
      return Optional.of(next);
    });
  }

  /**
   * Compare-and-set against the configuration a leader reports, retried while another change is
   * in flight (the arbiter re-weighs priorities the same way).
   */
  private void change(String what, Function<List<RaftPeer>, Optional<List<RaftPeer>>> edit) {
    String last = "no peer answered";
    int attempts = 0;
    int leaderless = 0;
    while (attempts < CHANGE_ATTEMPTS && leaderless < LEADER_WAIT_ROUNDS) {
      Optional<List<RaftPeer>> current = leaderConfiguration();
      if (current.isEmpty()) {
        last = "no leader among the other members answered";
        if (leaderless++ % 20 == 0) {
          log.info("member {}: waiting for a Raft leader among the other members to {}", self, what);
        }
        pause();
        continue;
      }
      attempts++;
      Optional<List<RaftPeer>> next = edit.apply(current.get());
      if (next.isEmpty()) {
        log.info("member {}: nothing to do to {}", self, what);
        return;
      }
      try {
        RaftClientReply reply = changing.admin().setConfiguration(SetConfigurationRequest.Arguments.newBuilder()
            .setServersInCurrentConf(current.get()).setServersInNewConf(next.get())
            .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET).build());
        if (reply.isSuccess()) {
          log.info("member {}: {}: done", self, what);
          return;
        }
        last = String.valueOf(reply.getException());
      } catch (IOException | RuntimeException e) {
        last = e.toString();
      }
      log.info("member {}: could not {} yet: {}", self, what, last);
      pause();
    }
    throw new FailoverException("could not " + what + " in cluster group " + group.getGroupId() + ": " + last);
  }

  /** The voters as the current leader lists them, when a leader answers and no change is in flight. */
  private Optional<List<RaftPeer>> leaderConfiguration() {
    for (RaftPeer peer : group.getPeers()) {
      if (peer.getId().equals(selfPeer.getId())) {
        continue;
      }
      Optional<GroupInfoReply> reply = info(peer);
      if (reply.isPresent() && reply.get().getRoleInfoProto().getRole() == RaftPeerRole.LEADER) {
        Optional<RaftConfigurationProto> conf = reply.get().getConf();
        if (conf.isPresent() && conf.get().getOldPeersList().isEmpty()) {
          return Optional.of(ProtoUtils.toRaftPeers(conf.get().getPeersList()));
        }
      }
    }
    return Optional.empty();
  }

  /** A short pause between attempts, on the caller's (start-up) thread. */
  private static void pause() {
    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
  }

  @Override
  public void close() {
    for (RaftClient c : List.of(asking, changing)) {
      try {
        c.close();
      } catch (IOException e) {
        log.debug("member {}: closing a membership client failed: {}", self, e.toString());
      }
    }
  }
}

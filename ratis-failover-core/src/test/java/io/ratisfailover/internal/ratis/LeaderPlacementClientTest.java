package io.ratisfailover.internal.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.Epoch;
import io.ratisfailover.HostPort;
import io.ratisfailover.MemberId;
import io.ratisfailover.Peer;
import io.ratisfailover.RaftLeaderPreference;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.Codec;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Origin;
import io.ratisfailover.internal.state.Request;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.Ports;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.util.TimeDuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The leader's placement calls (re-weighing priorities, handing leadership over) must not disturb
 * the client that sends the member's commands. Found in CI and under load: when a placement call
 * was the first to meet a new Raft leader, Ratis moved that client to the new leader without
 * restarting its ordered window, and the primary's renewals then waited there for earlier requests
 * the new leader never received, until the request timeout and beyond: the lease ran out and the
 * cluster failed over for nothing.
 */
class LeaderPlacementClientTest {
  /** Long, so that a write held up by the window shows as held up rather than as slow. */
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);
  /** A write to a working leader on loopback takes milliseconds; this allows a loaded machine. */
  static final Duration PROMPT = Duration.ofSeconds(5);

  @TempDir Path dir;
  final RaftGroup group = group();
  final List<RaftServer> servers = new ArrayList<>();
  final ExecutorService admin = Executors.newSingleThreadExecutor();
  RatisConsensus consensus;

  static RaftGroup group() {
    int[] ports = Ports.free(3);
    return RaftGroup.valueOf(RaftGroupId.randomId(), List.of(peer("a", ports[0], 2), peer("b", ports[1], 0),
        peer("c", ports[2], 1)));
  }

  static RaftPeer peer(String id, int port, int priority) {
    return RaftPeer.newBuilder().setId(id).setAddress("127.0.0.1:" + port).setPriority(priority).build();
  }

  @AfterEach
  void stop() throws IOException {
    admin.shutdownNow();
    if (consensus != null) {
      consensus.close();
    }
    for (RaftServer s : servers) {
      s.close();
    }
  }

  /** Answers every command as applied, at its log index. */
  static final class AppliedStateMachine extends BaseStateMachine {
    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
      long index = trx.getLogEntry().getIndex();
      updateLastAppliedTermIndex(trx.getLogEntry().getTerm(), index);
      return CompletableFuture.completedFuture(Message.valueOf(org.apache.ratis.thirdparty.com.google.protobuf.ByteString
          .copyFrom(Codec.encode(new ApplyResult(index, Optional.empty(), "", Epoch.of(1), Optional.empty())))));
    }
  }

  RaftServer.Division division(String id) {
    try {
      return servers.stream().filter(s -> s.getId().toString().equals(id)).findFirst().orElseThrow()
          .getDivision(group.getGroupId());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  boolean leads(String id) {
    return division(id).getInfo().isLeader();
  }

  RaftClient client() {
    RaftProperties p = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
    return RaftClient.newBuilder().setRaftGroup(group).setProperties(p).setRetryPolicy(RatisConsensus.retryPolicy()).build();
  }

  long seq;

  /** How long one command takes from send to its applied result. */
  Duration write() throws Exception {
    long start = System.nanoTime();
    ApplyResult result = consensus.send(new Request(new Origin(MemberId.of("a"), 1, ++seq, 0),
        new Command.SetPause(false))).get(REQUEST_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
    assertThat(result.applied()).isTrue();
    return Duration.ofNanos(System.nanoTime() - start);
  }

  @Test
  void aPlacementThatFindsANewLeaderLeavesTheCommandClientPrompt() throws Exception {
    Timing timing = Timing.defaults();
    for (RaftPeer p : group.getPeers()) {
      RaftServer s = RaftServer.newBuilder().setServerId(p.getId()).setGroup(group).setStateMachine(new AppliedStateMachine())
          .setProperties(RatisProperties.server(timing, dir.resolve(p.getId().toString()),
              HostPort.parse(p.getAddress(), "raft address"), RatisProperties.SNAPSHOT_EVERY))
          .setOption(RaftStorage.StartupOption.FORMAT).build();
      servers.add(s);
      s.start();
    }
    Await.until("a leading", Duration.ofSeconds(30), () -> leads("a"));
    List<Peer> peers = List.of(Peer.data("a", group.getPeer(RaftPeerId.valueOf("a")).getAddress()),
        Peer.data("b", group.getPeer(RaftPeerId.valueOf("b")).getAddress()),
        Peer.witness("c", group.getPeer(RaftPeerId.valueOf("c")).getAddress()));
    consensus = new RatisConsensus(MemberId.of("a"), this::client, () -> division("a"), peers, admin,
        timing.electionTimeoutMin(), RaftLeaderPreference.STANDBY, RaftTlsParameters.insecure());
    write();

    // Leadership moves to b (its priority the highest) while a's command client still points at a.
    try (RaftClient other = client()) {
      assertThat(other.admin().setConfiguration(SetConfigurationRequest.Arguments.newBuilder()
          .setServersInNewConf(List.of(reweighed("a", 0), reweighed("b", 2), reweighed("c", 0))).build()).isSuccess()).isTrue();
    }
    Await.until("b leading", Duration.ofSeconds(30), () -> leads("b"));

    // a places leadership away from itself as the primary: c's priority changes, b keeps leading,
    // and the placement call is the first of a's calls to meet b as the leader.
    consensus.placeLeaderAwayFrom(MemberId.of("a"));
    admin.submit(() -> {}).get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    Map<String, Integer> priorities = division("a").getRaftConf().getCurrentPeers().stream()
        .collect(Collectors.toMap(p -> p.getId().toString(), RaftPeer::getPriority));
    assertThat(priorities).as("placement done").isEqualTo(Map.of("a", 0, "b", 2, "c", 1));
    assertThat(leads("b")).isTrue();

    assertThat(write()).as("a command sent after the placement").isLessThan(PROMPT);
  }

  RaftPeer reweighed(String id, int priority) {
    return RaftPeer.newBuilder(group.getPeer(RaftPeerId.valueOf(id))).setPriority(priority).build();
  }
}

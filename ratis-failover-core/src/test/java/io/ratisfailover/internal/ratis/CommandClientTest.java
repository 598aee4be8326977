package io.ratisfailover.internal.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.Epoch;
import io.ratisfailover.HostPort;
import io.ratisfailover.MemberId;
import io.ratisfailover.Peer;
import io.ratisfailover.RaftLeaderPreference;
import io.ratisfailover.Ticker;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
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
 * The client that sends a member's commands stays prompt across a change of Raft leader. Found in
 * CI and under load: when a blocking call on that client (a leader placement) was the first to meet
 * a new Raft leader, Ratis moved the client to it without restarting its ordered window, and the
 * primary's renewals then waited there for earlier requests the new leader never received, until
 * the request timeout and beyond: the lease ran out and the cluster failed over for nothing. The
 * placement calls now have a client of their own, and a client stuck any other way is replaced.
 */
class CommandClientTest {
  /** Long, so that a write held up by the window shows as held up rather than as slow. */
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(20);
  /** A write to a working leader on loopback takes milliseconds; this allows a loaded machine. */
  static final Duration PROMPT = Duration.ofSeconds(5);
  /** What a member configures: its client's request timeout. */
  static final Duration STALL_AFTER = RatisProperties.requestTimeout(Timing.defaults());
  static final Timing TIMING = Timing.defaults();

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

  CompletableFuture<ApplyResult> send() {
    return consensus.send(new Request(new Origin(MemberId.of("a"), 1, ++seq, 0), new Command.SetPause(false)));
  }

  /** How long one command takes from send to its applied result. */
  Duration write() throws Exception {
    long start = System.nanoTime();
    ApplyResult result = send().get(REQUEST_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
    assertThat(result.applied()).isTrue();
    return Duration.ofNanos(System.nanoTime() - start);
  }

  /** Starts a, b and c, a leading, and a's consensus on the clients {@code clients} makes. */
  void start(Supplier<RaftClient> clients, Duration stallAfter) throws IOException {
    for (RaftPeer p : group.getPeers()) {
      RaftServer s = RaftServer.newBuilder().setServerId(p.getId()).setGroup(group).setStateMachine(new AppliedStateMachine())
          .setProperties(RatisProperties.server(TIMING, dir.resolve(p.getId().toString()),
              HostPort.parse(p.getAddress(), "raft address"), RatisProperties.SNAPSHOT_EVERY))
          .setOption(RaftStorage.StartupOption.FORMAT).build();
      servers.add(s);
      s.start();
    }
    Await.until("a leading", Duration.ofSeconds(30), () -> leads("a"));
    List<Peer> peers = List.of(Peer.data("a", group.getPeer(RaftPeerId.valueOf("a")).getAddress()),
        Peer.data("b", group.getPeer(RaftPeerId.valueOf("b")).getAddress()),
        Peer.witness("c", group.getPeer(RaftPeerId.valueOf("c")).getAddress()));
    consensus = new RatisConsensus(MemberId.of("a"), clients, () -> division("a"), peers, admin,
        TIMING.electionTimeoutMin(), RaftLeaderPreference.STANDBY, RaftTlsParameters.insecure(), Ticker.system(),
        stallAfter);
  }

  /** Leadership moves to b (its priority the highest) while a's command client still points at a. */
  void moveLeadershipToB() throws IOException {
    try (RaftClient other = client()) {
      assertThat(other.admin().setConfiguration(SetConfigurationRequest.Arguments.newBuilder()
          .setServersInNewConf(List.of(reweighed("a", 0), reweighed("b", 2), reweighed("c", 0))).build()).isSuccess()).isTrue();
    }
    Await.until("b leading", Duration.ofSeconds(30), () -> leads("b"));
  }

  @Test
  void aPlacementThatFindsANewLeaderLeavesTheCommandClientPrompt() throws Exception {
    // A stuck client is only replaced after the request timeout: this shows the placement alone.
    start(this::client, REQUEST_TIMEOUT);
    write();
    moveLeadershipToB();

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

  @Test
  void aCommandClientWhoseWindowIsStuckIsReplacedOnceTheGroupCommitsWithoutIt() throws Exception {
    List<RaftClient> made = new CopyOnWriteArrayList<>();
    start(() -> {
      RaftClient c = client();
      made.add(c);
      return c;
    }, STALL_AFTER);
    write();
    moveLeadershipToB();
    // The trap, set by hand: a blocking call on the command client is the first to meet b.
    assertThat(made.get(0).admin().setConfiguration(division("a").getRaftConf().getCurrentPeers().stream().toList())
        .isSuccess()).isTrue();
    long heldSince = System.nanoTime();
    CompletableFuture<ApplyResult> held = send();
    LockSupport.parkNanos(STALL_AFTER.toNanos());
    try (RaftClient other = client()) {
      Await.until("another entry committed while the request is held", Duration.ofSeconds(30), () -> sendOther(other));
    }
    assertThat(held).as("held for " + (System.nanoTime() - heldSince) / 1_000_000 + " ms").isNotDone();

    assertThat(write()).as("a command sent once the held one looked stuck").isLessThan(PROMPT);
    assertThat(made).as("the command client was replaced").hasSize(2);
    assertThat(held).as("the held request ended with its client").failsWithin(PROMPT);
  }

  /** One entry through another client; true once committed. */
  static boolean sendOther(RaftClient other) {
    try {
      return other.io().send(Message.valueOf("other")).isSuccess();
    } catch (IOException e) {
      return false;
    }
  }

  RaftPeer reweighed(String id, int priority) {
    return RaftPeer.newBuilder(group.getPeer(RaftPeerId.valueOf(id))).setPriority(priority).build();
  }
}

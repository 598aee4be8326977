package io.ratisfailover.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.ClusterView;
import io.ratisfailover.FailoverMember;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberView;
import io.ratisfailover.Peer;
import io.ratisfailover.Tags;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.auth.MemberKey;
import io.ratisfailover.internal.ratis.RaftTlsParameters;
import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Codec;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.MemberRecord;
import io.ratisfailover.internal.state.Origin;
import io.ratisfailover.internal.state.Rejection;
import io.ratisfailover.internal.state.Request;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.LocalCluster;
import io.ratisfailover.testing.TestPki;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.TimeDuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The security review's attacks on the Raft port (section 6, risk 1: tests 1a, 1b, 1d), run by a
 * client that only knows the cluster name and the peers' addresses. Without credentials (the
 * insecure mode) each succeeds; once members sign their commands each is refused and changes
 * nothing, also when the forger holds another member's key.
 */
class ForgedCommandsTest {
  static final Duration PATIENCE = Duration.ofSeconds(30);

  @TempDir Path dir;
  LocalCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void theReviewsAttacksSucceedOnAClusterWithoutCredentials() throws Exception {
    cluster = LocalCluster.threeMembers("orders", dir, Timing.defaults()).startAll();
    FailoverMember primary = awaitPrimary();
    String standby = primary.id().value().equals("pg1") ? "pg2" : "pg1";
    try (Forger forger = new Forger("orders", cluster.peers())) {
      // 1d: rewrite the standby's published addresses (where rfctl sends admin credentials).
      assertApplied(forger.forge(standby, hijackedReport()));
      // 1a: pause the cluster as the witness; the HTTP API would have asked for a password.
      assertApplied(forger.forge("w1", new Command.SetPause(true)));
      Await.until("the forged pause applied", PATIENCE, () -> cluster.member("pg1").cluster().paused());
      assertApplied(forger.forge("w1", new Command.SetPause(false)));
      // 1b: elect the standby at once, reading the renewal index the election compares against, in
      // the name of the Raft leader (whose arbiter alone elects).
      assertThat(forger.forcedElection(this::raftLeader, standby, 50)).as("a forged election applied").isTrue();
      Await.until("the forged election applied", PATIENCE, () -> cluster.member("w1").cluster().history().stream()
          .anyMatch(h -> h.reason().equals("forged")));
    }
  }

  @Test
  void theReviewsAttacksFailOnceMembersSignTheirCommands() throws Exception {
    TestPki pki = TestPki.create(dir.resolve("pki"), "orders-ca");
    cluster = LocalCluster.threeMembers("orders", dir.resolve("raft"), Timing.defaults())
        .raftTls(id -> Optional.of(pki.issue(id.value()))).startAll();
    FailoverMember primary = awaitPrimary();
    String standby = primary.id().value().equals("pg1") ? "pg2" : "pg1";
    ClusterView before = cluster.member("w1").cluster();
    // The standby's own key, used to speak for the other members (whichever member won the election:
    // with the primary's key, a renewal in the primary's name is no forgery).
    MemberKey standbyKey = MemberKey.load(MemberId.of(standby), "orders", pki.issue(standby));
    RaftTlsParameters inside = RaftTlsParameters.load(pki.issue("intruder"), MemberId.of("intruder"), Instant.now());
    try (Forger anonymous = new Forger("orders", cluster.peers(), inside);
        Forger withStandbysKey = new Forger("orders", cluster.peers(), inside).signingWith(standbyKey)) {
      for (Forger forger : List.of(anonymous, withStandbysKey)) {
        String victim = forger == withStandbysKey ? primary.id().value() : standby;
        assertRefused(forger.forge(victim, hijackedReport()));
        assertRefused(forger.forge("w1", new Command.SetPause(true)));
        assertRefused(forger.forge(primary.id().value(), new Command.Renew(before.epoch(), 86_400_000)));
        assertRefused(forger.forge(primary.id().value(), new Command.Release(before.epoch(), Optional.empty(), "forged")));
        assertRefused(forger.forge("w1", new Command.Elect(MemberId.of(standby), before.epoch().next(),
            forger.read().lastRenewalIndex(), HistoryEntry.Cause.FAILOVER, "forged")));
        // In the witness's name: the forger holding the standby's key could speak as the standby itself,
        // which is no forgery, and an election the standby sends while it leads Raft is (rightly) logged.
        assertThat(forger.forcedElection(() -> "w1", standby, 10)).as("a forged election applied").isFalse();
      }
      assertThat(anonymous.read().leaseMillis()).as("the forged 24 h lease").isNotEqualTo(86_400_000);
    }
    // A member may sign as itself, but elects only while it leads Raft: the primary, with its own
    // key, cannot hand its role to the standby past the arbiter's wait. (The cluster keeps Raft
    // leadership off the primary.)
    Await.until("Raft led by another member than the primary", PATIENCE,
        () -> !raftLeader().equals(primary.id().value()));
    MemberKey primaryKey = MemberKey.load(primary.id(), "orders", pki.issue(primary.id().value()));
    try (Forger asItself = new Forger("orders", cluster.peers(), inside).signingWith(primaryKey)) {
      Outcome outcome = asItself.forge(primary.id().value(), new Command.Elect(MemberId.of(standby),
          before.epoch().next(), asItself.read().lastRenewalIndex(), HistoryEntry.Cause.SWITCHOVER, "forged"));
      assertRefused(outcome);
      assertThat(outcome.error()).contains("not the Raft leader");
    }
    ClusterView after = cluster.member("w1").cluster();
    assertThat(after.paused()).isFalse();
    assertThat(after.epoch()).isEqualTo(before.epoch());
    assertThat(after.history()).noneMatch(h -> h.reason().equals("forged"));
    assertThat(after.members()).extracting(MemberView::apiUrl).doesNotContain("http://127.0.0.1:9999");
    // Still the primary of the same epoch; whether it serves this very moment depends on its last
    // renewal's timing (on a loaded machine one can be late), which no forgery touched.
    assertThat(after.primary()).contains(primary.id());
  }

  private static Command.ReportStatus hijackedReport() {
    return new Command.ReportStatus(Tags.DEFAULT, "http://127.0.0.1:9999", Map.of("host", "127.0.0.1", "port", "9999"),
        Optional.empty(), OptionalLong.empty());
  }

  private static void assertApplied(Outcome outcome) {
    assertThat(outcome.applied()).as(outcome.toString()).isTrue();
  }

  private static void assertRefused(Outcome outcome) {
    assertThat(outcome.unauthenticated()).as(outcome.toString()).isTrue();
  }

  /** The member leading Raft now, as the witness knows it, once there is one. */
  private String raftLeader() {
    return Await.value("a Raft leader", PATIENCE,
        () -> cluster.member("w1").cluster().raftLeader().map(MemberId::value).orElse(null));
  }

  private FailoverMember awaitPrimary() {
    FailoverMember primary = Await.value("a serving primary", PATIENCE, () -> cluster.servingPrimary().orElse(null));
    Await.until("every member applied the election", PATIENCE,
        () -> cluster.members().stream().allMatch(m -> m.cluster().primary().equals(Optional.of(primary.id()))));
    return primary;
  }

  /** What became of a forged request: the state machine's answer, or the error the leader answered instead. */
  private record Outcome(Optional<ApplyResult> result, String error) {
    boolean applied() {
      return result.filter(ApplyResult::applied).isPresent();
    }

    /** Raft could not take it now (leadership moving); says nothing about the request. */
    boolean transientError() {
      return result.isEmpty() && !error.contains("UnauthenticatedRequestException");
    }

    /** Refused by the leader before it was logged, or logged and refused by every replica. */
    boolean unauthenticated() {
      return result.map(r -> r.rejection().equals(Optional.of(Rejection.UNAUTHENTICATED)))
          .orElse(error.contains("UnauthenticatedRequestException"));
    }
  }

  /** An outsider's Raft client, as in the review: the group id follows from the cluster name. */
  private static final class Forger implements AutoCloseable {
    private static final long INCARNATION_LEAP = 1_000_000;
    private final RaftClient client;
    private Optional<MemberKey> key = Optional.empty();
    private long seq;

    Forger(String clusterName, List<Peer> peers) {
      this(clusterName, peers, RaftTlsParameters.insecure());
    }

    /** On a TLS cluster: a client certificate from the cluster's CA gets through the transport. */
    Forger(String clusterName, List<Peer> peers, RaftTlsParameters tls) {
      RaftGroupId gid = RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("ratis-failover/" + clusterName)
          .getBytes(StandardCharsets.UTF_8)));
      RaftProperties properties = new RaftProperties();
      RaftClientConfigKeys.Rpc.setRequestTimeout(properties, TimeDuration.valueOf(3, TimeUnit.SECONDS));
      client = RaftClient.newBuilder().setProperties(properties).setParameters(tls.parameters())
          .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(50, TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
          .setRaftGroup(RaftGroup.valueOf(gid, peers.stream().map(p -> RaftPeer.newBuilder().setId(p.id().value())
              .setAddress(p.raftAddress()).build()).toList())).build();
    }

    Forger signingWith(MemberKey k) {
      key = Optional.of(k);
      return this;
    }

    /** The state, read like any member's peers read it at start. */
    ClusterState read() throws IOException {
      return Codec.decodeState(client.io().sendReadOnly(Message.EMPTY).getMessage().getContent().toByteArray());
    }

    /**
     * Sends {@code command} in {@code member}'s name, with an incarnation far above the one the
     * state records for it (incarnations only grow). Not just one above: the member itself moves to
     * the recorded incarnation + 1 once it sees a request that is not its own, and whichever of the
     * two lands first would make the other a stale request. Like any attacker it tries again while
     * Raft leadership moves (the cluster steers it away from the primary right after an election).
     */
    Outcome forge(String member, Command command) throws Exception {
      Outcome outcome = forgeOnce(member, command);
      List<String> earlier = new java.util.ArrayList<>();
      for (int attempt = 1; attempt < 20 && outcome.transientError(); attempt++) {
        earlier.add(outcome.error());
        outcome = forgeOnce(member, command);
      }
      return earlier.isEmpty() ? outcome : new Outcome(outcome.result(), outcome.error() + " after " + earlier);
    }

    private Outcome forgeOnce(String member, Command command) throws Exception {
      long incarnation = read().member(MemberId.of(member)).map(MemberRecord::incarnation).orElse(0L) + INCARNATION_LEAP;
      Origin origin = new Origin(MemberId.of(member), incarnation, ++seq, System.currentTimeMillis());
      Request request = key.isPresent() ? key.get().sign(origin, command) : new Request(origin, command);
      try {
        var reply = client.async().send(Message.valueOf(ByteString.copyFrom(Codec.encode(request))))
            .get(10, TimeUnit.SECONDS);
        return reply.isSuccess() ? new Outcome(Optional.of(Codec.decodeResult(reply.getMessage().getContent().toByteArray())), "")
            : new Outcome(Optional.empty(), String.valueOf(reply.getException()));
      } catch (ExecutionException e) {
        return new Outcome(Optional.empty(), e.getCause().toString());
      }
    }

    /**
     * Test 1b: an election of {@code candidate} that skips the lease wait, sent in the name of
     * whom {@code sender} names at each try; whether one applied.
     */
    boolean forcedElection(java.util.function.Supplier<String> sender, String candidate, int tries) throws Exception {
      for (int i = 0; i < tries; i++) {
        ClusterState s = read();
        Outcome r = forge(sender.get(), new Command.Elect(MemberId.of(candidate), s.epoch().next(),
            s.lastRenewalIndex(), HistoryEntry.Cause.FAILOVER, "forged"));
        if (r.applied()) {
          return true;
        }
      }
      return false;
    }

    @Override
    public void close() throws IOException {
      client.close();
    }
  }
}

package io.ratisfailover.ratis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.FailoverMember;
import io.ratisfailover.MemberId;
import io.ratisfailover.Peer;
import io.ratisfailover.RaftTls;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.ratis.RaftTlsParameters;
import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.Codec;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Origin;
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
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.io.grpc.StatusRuntimeException;
import org.apache.ratis.util.TimeDuration;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real members on loopback, with and without mutual TLS on the Raft port, and an outsider's Raft
 * client doing what the security review's Risk 1 tests do: commit a forged {@code SetPause} (test
 * 1a) and use Ratis' leadership and group management (test 1c).
 */
class RaftTlsTest {
  static final Duration PATIENCE = Duration.ofSeconds(30);
  static final RaftGroupId GROUP = RaftGroupId.valueOf(
      UUID.nameUUIDFromBytes("ratis-failover/orders".getBytes(StandardCharsets.UTF_8)));

  @TempDir Path dir;
  LocalCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  LocalCluster cluster(Function<MemberId, Optional<RaftTls>> tls) {
    return LocalCluster.threeMembers("orders", dir.resolve("raft"), Timing.defaults()).raftTls(tls);
  }

  FailoverMember awaitPrimary() {
    return Await.value("a serving primary", PATIENCE, () -> cluster.servingPrimary().orElse(null));
  }

  @Test
  void aClusterOnMutualTlsFormsAndElects() {
    TestPki pki = TestPki.create(dir.resolve("pki"), "orders-ca");
    cluster = cluster(id -> Optional.of(pki.issue(id.value()))).startAll();
    FailoverMember primary = awaitPrimary();
    Await.until("every member applied the election", PATIENCE, () -> cluster.members().stream()
        .allMatch(m -> m.cluster().primary().equals(Optional.of(primary.id())) && m.cluster().raftLeader().isPresent()),
        cluster::describe);
  }

  /**
   * Member certificates issued by an intermediate CA, each file holding the member's certificate
   * and the intermediate's, while every member's {@code ca} holds the root alone: the handshakes
   * build the chain, and the elected primary's signed commands verify against the root recorded at
   * bootstrap. An outsider whose certificate comes from another root, through an intermediate,
   * both named exactly as the cluster's, is still turned away.
   */
  @Test
  void membersCertifiedByAnIntermediateCaFormAndElectWhileAnotherRootsIntermediateStaysOut() throws IOException {
    TestPki pki = TestPki.createWithIntermediate(dir.resolve("pki"), "orders-root", "orders-intermediate");
    TestPki other = TestPki.createWithIntermediate(dir.resolve("other"), "orders-root", "orders-intermediate");
    cluster = cluster(id -> Optional.of(pki.issue(id.value()))).startAll();
    FailoverMember primary = awaitPrimary();
    Await.until("every member applied the election", PATIENCE, () -> cluster.members().stream()
        .allMatch(m -> m.cluster().primary().equals(Optional.of(primary.id())) && m.cluster().raftLeader().isPresent()),
        cluster::describe);
    try (RaftClient c = client(certifiedBy(other.issue("w1"), pki.caFile()))) {
      refused(() -> forgePause(c));
      refused(() -> c.getGroupManagementApi(peer("w1")).list());
    }
    assertThat(cluster.members()).allSatisfy(m -> assertThat(m.cluster().paused()).isFalse());
  }

  /** The review's tests 1a and 1c, as they ran before this change. */
  @Test
  void anAnonymousClientRulesAnInsecureCluster() throws IOException {
    cluster = cluster(id -> Optional.empty()).startAll();
    awaitPrimary();
    try (RaftClient anonymous = client(RaftTlsParameters.insecure().parameters())) {
      assertThat(forgePause(anonymous).applied()).isTrue();
      Await.until("the forged pause applied everywhere", PATIENCE,
          () -> cluster.members().stream().allMatch(m -> m.cluster().paused()));
      assertThat(anonymous.getGroupManagementApi(peer("w1")).list().getGroupIds()).contains(GROUP);
      assertThat(anonymous.getLeaderElectionManagementApi(peer("pg2")).pause().isSuccess()).isTrue();
    }
  }

  @Test
  void neitherAnAnonymousClientNorOneCertifiedByAnotherCaGetsIntoATlsCluster() throws IOException {
    TestPki pki = TestPki.create(dir.resolve("pki"), "orders-ca");
    TestPki other = TestPki.create(dir.resolve("other"), "other-ca");
    cluster = cluster(id -> Optional.of(pki.issue(id.value()))).startAll();
    awaitPrimary();
    // The second outsider even trusts the cluster's CA, so that it is the members that turn it away.
    for (Parameters outsider : List.of(RaftTlsParameters.insecure().parameters(),
        certifiedBy(other.issue("w1"), pki.caFile()))) {
      try (RaftClient c = client(outsider)) {
        refused(() -> forgePause(c));
        refused(() -> c.getGroupManagementApi(peer("w1")).list());
        refused(() -> c.getLeaderElectionManagementApi(peer("pg2")).pause());
        refused(() -> c.admin().transferLeadership(peer("pg1"), 3000));
      }
    }
    assertThat(cluster.members()).allSatisfy(m -> assertThat(m.cluster().paused()).isFalse());
    // The same calls with a certificate from the cluster's CA do get through: any such certificate
    // is admitted to the Raft port, which is why the CA must serve this cluster alone.
    Parameters insiderTls = RaftTlsParameters.load(pki.issue("insider"), MemberId.of("insider"), Instant.now()).parameters();
    try (RaftClient insider = client(insiderTls)) {
      assertThat(insider.getGroupManagementApi(peer("w1")).list().getGroupIds()).contains(GROUP);
    }
  }

  @Test
  void aPeerCertifiedByAnotherCaGetsNoVoteAndNoLog() {
    TestPki pki = TestPki.create(dir.resolve("pki"), "orders-ca");
    TestPki other = TestPki.create(dir.resolve("other"), "other-ca");
    cluster = cluster(id -> Optional.of(id.value().equals("w1") ? other.issue("w1") : pki.issue(id.value())));
    FailoverMember pg1 = cluster.start("pg1");
    FailoverMember w1 = cluster.start("w1");
    Await.holds("no Raft leader while pg1 needs w1's vote", Timing.defaults().electionTimeoutMax().multipliedBy(4),
        () -> pg1.cluster().raftLeader().isEmpty() && w1.cluster().raftLeader().isEmpty());
    cluster.start("pg2");
    awaitPrimary();
    Await.holds("w1 is never sent the log", Timing.defaults().electionTimeoutMax().multipliedBy(4),
        () -> !w1.cluster().initialized() && w1.cluster().raftLeader().isEmpty());
  }

  /** gRPC checks that the certificate a server presents names the host it was dialled at. */
  @Test
  void aPeerIsTrustedOnlyAtAHostItsCertificateNames() throws IOException {
    TestPki pki = TestPki.create(dir.resolve("pki"), "orders-ca");
    // No primary is awaited: the data members cannot reach w1's server at the address they were
    // given, so whenever w1 wins a Raft election (its appends to them work) their reports cannot
    // reach it and no primary is elected until leadership moves; on a loaded machine that can last.
    // The servers listen once startAll returns, which is all this test needs.
    cluster = cluster(id -> Optional.of(id.value().equals("w1") ? pki.issue("w1", "localhost")
        : pki.issue(id.value()))).startAll();
    String w1Port = cluster.peers().stream().filter(p -> p.id().value().equals("w1")).findFirst().orElseThrow()
        .raftAddress().split(":")[1];
    Parameters insider = RaftTlsParameters.load(pki.issue("insider"), MemberId.of("insider"), Instant.now()).parameters();
    try (RaftClient byIp = client(insider, List.of(RaftPeer.newBuilder().setId("w1").setAddress("127.0.0.1:" + w1Port).build()));
        RaftClient byName = client(insider, List.of(RaftPeer.newBuilder().setId("w1").setAddress("localhost:" + w1Port).build()))) {
      assertThatThrownBy(() -> byIp.getGroupManagementApi(peer("w1")).list())
          .hasStackTraceContaining("No subject alternative names matching IP address 127.0.0.1");
      assertThat(byName.getGroupManagementApi(peer("w1")).list().getGroupIds()).contains(GROUP);
    }
  }

  RaftClient client(Parameters tls) {
    return client(tls, cluster.peers().stream().map(RaftTlsTest::raftPeer).toList());
  }

  static RaftClient client(Parameters tls, List<RaftPeer> peers) {
    RaftProperties p = new RaftProperties();
    RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(3, TimeUnit.SECONDS));
    return RaftClient.newBuilder().setRaftGroup(RaftGroup.valueOf(GROUP, peers)).setProperties(p)
        .setParameters(tls).setRetryPolicy(RetryPolicies.noRetry()).build();
  }

  /** Ratis reports a refused connection as an IOException or, from its blocking admin calls, as gRPC's status. */
  static void refused(ThrowingCallable call) {
    assertThatThrownBy(call).isInstanceOfAny(IOException.class, StatusRuntimeException.class);
  }

  /** Mutual TLS with {@code identity}'s certificate and key, trusting {@code ca}: checks nothing, as an attacker would. */
  static Parameters certifiedBy(RaftTls identity, Path ca) {
    GrpcTlsConfig tls = new GrpcTlsConfig(identity.key().toFile(), identity.certificate().toFile(), ca.toFile(), true);
    Parameters p = new Parameters();
    GrpcConfigKeys.Admin.setTlsConf(p, tls);
    GrpcConfigKeys.Client.setTlsConf(p, tls);
    return p;
  }

  /** A pause in the witness's name, as an outsider writes it. */
  static ApplyResult forgePause(RaftClient client) throws IOException {
    // Incarnations only grow: the forger picks one above any a process start could give.
    Request forged = new Request(new Origin(MemberId.of("w1"), Long.MAX_VALUE / 2, 1, 0), new Command.SetPause(true));
    Message message = Message.valueOf(ByteString.copyFrom(Codec.encode(forged)));
    // Right after the election the leader hands leadership away from the primary's host, and a
    // leader stepping down refuses without the client retrying: so does a forger, then sends again.
    for (int attempt = 1; ; attempt++) {
      try {
        RaftClientReply reply = client.io().send(message);
        return Codec.decodeResult(reply.getMessage().getContent().toByteArray());
      } catch (LeaderSteppingDownException e) {
        if (attempt == 20) {
          throw e;
        }
        LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
      }
    }
  }

  static RaftPeer raftPeer(Peer p) {
    return RaftPeer.newBuilder().setId(p.id().value()).setAddress(p.raftAddress()).build();
  }

  static RaftPeerId peer(String id) {
    return RaftPeerId.valueOf(id);
  }
}

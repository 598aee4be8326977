package io.ratisfailover;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.testing.InMemoryDatabases;
import io.ratisfailover.testing.TestPki;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link FailoverMember.Builder#build()} says about Raft TLS settings and files, before any connection. */
class RaftTlsFilesTest {
  static final List<Peer> PEERS = List.of(Peer.data("pg1", "127.0.0.1:7101"), Peer.data("pg2", "127.0.0.1:7102"),
      Peer.witness("w1", "127.0.0.1:7103"));

  @TempDir Path dir;
  TestPki pki;
  RaftTls pg1;

  @BeforeEach
  void issue() {
    pki = TestPki.create(dir.resolve("pki"), "orders-ca");
    pg1 = pki.issue("pg1");
  }

  FailoverMember.Builder pg1() {
    return FailoverMember.builder().memberId("pg1").clusterName("orders").peers(PEERS).storageDirectory(dir.resolve("raft"))
        .database(new InMemoryDatabases().create(MemberId.of("pg1")));
  }

  @Test
  void aMemberNeedsTlsOrAnExplicitlyInsecureRaftPort() {
    assertThatThrownBy(() -> pg1().build()).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("member pg1 has no Raft TLS: set raftTls (mutual TLS against the cluster CA) or, only where"
            + " nobody else can reach the Raft port, insecureRaft()");
    assertThatThrownBy(() -> pg1().raftTls(pg1).insecureRaft().build())
        .hasMessage("member pg1 sets both raftTls and insecureRaft(); choose one");
    pg1().insecureRaft().build().close();
    pg1().raftTls(pg1).build().close();
  }

  @Test
  void filesThatCannotWorkAreNamedAtBuild() throws IOException {
    Path missing = dir.resolve("nope.pem");
    assertThatThrownBy(() -> pg1().raftTls(new RaftTls(missing, pg1.key(), pg1.ca())).build())
        .hasMessage("raft TLS certificate file " + missing + " does not exist");
    assertThatThrownBy(() -> pg1().raftTls(new RaftTls(pg1.key(), pg1.key(), pg1.ca())).build())
        .hasMessage("raft TLS certificate file " + pg1.key() + " holds no PEM certificate");

    Path traditional = dir.resolve("traditional.key");
    Files.writeString(traditional, "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n");
    assertThatThrownBy(() -> pg1().raftTls(new RaftTls(pg1.certificate(), traditional, pg1.ca())).build())
        .hasMessage("raft TLS key file " + traditional + " is 'EC PRIVATE KEY', not an unencrypted PKCS#8 'PRIVATE KEY':"
            + " convert it with openssl pkcs8 -topk8 -nocrypt -in " + traditional + " -out <new file>");

    RaftTls pg2 = pki.issue("pg2");
    assertThatThrownBy(() -> pg1().raftTls(new RaftTls(pg1.certificate(), pg2.key(), pg1.ca())).build())
        .hasMessage("raft TLS key " + pg2.key() + " does not belong to the certificate " + pg1.certificate());

    RaftTls foreign = TestPki.create(dir.resolve("other"), "other-ca").issue("pg1");
    assertThatThrownBy(() -> pg1().raftTls(new RaftTls(foreign.certificate(), foreign.key(), pg1.ca())).build())
        .hasMessageStartingWith("raft TLS certificate " + foreign.certificate() + " is not signed by the CA in " + pg1.ca());

    assertThatThrownBy(() -> pg1().raftTls(pg2).build())
        .hasMessage("raft TLS certificate " + pg2.certificate() + " is issued to CN=pg2, not to member pg1");

    Clock monthLater = Clock.fixed(Instant.now().plus(Duration.ofDays(30)), ZoneOffset.UTC);
    assertThatThrownBy(() -> pg1().raftTls(pg1).clock(monthLater).build())
        .hasMessageStartingWith("raft TLS certificate " + pg1.certificate() + " is not valid now (valid from ");
  }
}

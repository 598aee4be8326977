package io.ratisfailover.probe;

import static io.ratisfailover.probe.Scene.MB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.RaftTls;
import io.ratisfailover.testing.TestPki;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.apache.ratis.thirdparty.io.netty.handler.ssl.JdkSslContext;
import org.apache.ratis.thirdparty.io.netty.handler.ssl.SslContextBuilder;
import org.apache.ratis.thirdparty.io.netty.handler.ssl.SslProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS with certificates from an intermediate CA: the probe's and the clients' certificate files
 * hold their certificate and the intermediate's, while {@code client_ca} holds the root alone. A
 * client chained to that root gets in; one chained to another root, through an intermediate, both
 * named exactly as the real ones, does not.
 */
class IntermediateCaTest {
  private static final String SWITCHOVER = "{\"leader\": \"pg1\", \"candidate\": \"pg2\"}";
  @TempDir
  static Path dir;
  private static TestPki pki;
  private static TestPki impostor;
  private ProbeServer server;

  @BeforeAll
  static void makeCertificates() {
    pki = TestPki.createWithIntermediate(dir.resolve("pki"), "ops-root", "ops-intermediate");
    impostor = TestPki.createWithIntermediate(dir.resolve("impostor"), "ops-root", "ops-intermediate");
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private String start(ProbeConfig.ClientAuth clientAuth, Set<String> allowedNames) {
    RaftTls own = pki.issue("pg1");
    FakeMember member = new FakeMember(Scene.cluster().primary("pg1", 10 * MB).replica("pg2", 10 * MB, 10 * MB)
        .witness("w1").as("pg1"));
    server = ProbeServer.start(member, ProbeConfig.builder().host("127.0.0.1").port(0).tls(new ProbeConfig.Tls(
        own.certificate(), own.key(), Optional.empty(), Optional.of(pki.caFile()), clientAuth, allowedNames)).build());
    return server.url();
  }

  @Test
  void aClientChainedThroughTheIntermediateGetsInAndOneChainedToAnotherRootDoesNot() {
    String url = start(ProbeConfig.ClientAuth.REQUIRE, Set.of("operator"));
    Http operator = new Http(url, client(pki.issue("operator")));
    assertThat(operator.get("/primary").statusCode()).isEqualTo(200);
    assertThat(operator.send("POST", "/switchover", SWITCHOVER).statusCode()).isEqualTo(200);
    Http forger = new Http(url, client(impostor.issue("operator")));
    assertThatThrownBy(() -> forger.get("/primary")).isInstanceOf(UncheckedIOException.class);
  }

  @Test
  void withOptionalClientCertificatesAnotherRootsClientMayCheckHealthButNotAdminister() {
    String url = start(ProbeConfig.ClientAuth.OPTIONAL, Set.of());
    Http operator = new Http(url, client(pki.issue("operator")));
    assertThat(operator.send("POST", "/switchover", SWITCHOVER).statusCode()).isEqualTo(200);
    // The handshake refuses the forged chain outright rather than treat the client as anonymous.
    Http forger = new Http(url, client(impostor.issue("operator")));
    assertThatThrownBy(() -> forger.send("POST", "/switchover", SWITCHOVER)).isInstanceOf(UncheckedIOException.class);
  }

  /** A client presenting {@code identity}'s certificate file (its certificate and the intermediate), trusting the real root. */
  private static SSLContext client(RaftTls identity) {
    try {
      return ((JdkSslContext) SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
          .keyManager(identity.certificate().toFile(), identity.key().toFile())
          .trustManager(pki.caFile().toFile()).build()).context();
    } catch (SSLException e) {
      throw new IllegalStateException(e);
    }
  }
}

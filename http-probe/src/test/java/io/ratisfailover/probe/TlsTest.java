package io.ratisfailover.probe;

import static io.ratisfailover.probe.Scene.MB;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTPS, with client certificates required for every connection or for admin requests only. */
class TlsTest {
  private static final String SWITCHOVER = "{\"leader\": \"pg1\", \"candidate\": \"pg2\"}";
  @TempDir
  static Path dir;
  private static Certificates certs;
  private ProbeServer server;

  @BeforeAll
  static void makeCertificates() {
    Assumptions.assumeTrue(Certificates.opensslAvailable(),
        "the openssl command is needed to make test certificates (Debian package openssl)");
    certs = Certificates.create(dir);
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private String start(ProbeConfig.ClientAuth clientAuth) {
    return start(clientAuth, Set.of());
  }

  private String start(ProbeConfig.ClientAuth clientAuth, Set<String> allowedNames) {
    FakeMember member = new FakeMember(Scene.cluster().primary("pg1", 10 * MB).replica("pg2", 10 * MB, 10 * MB)
        .witness("w1").as("pg1"));
    ProbeConfig.Tls tls = new ProbeConfig.Tls(certs.serverCert, certs.serverKey, Optional.empty(),
        Optional.of(certs.ca), clientAuth, allowedNames);
    server = ProbeServer.start(member, ProbeConfig.builder().host("127.0.0.1").port(0).tls(tls).build());
    assertThat(server.url()).startsWith("https://127.0.0.1:");
    return server.url();
  }

  @Test
  void requiredClientCertificatesKeepOutClientsWithoutOne() {
    String url = start(ProbeConfig.ClientAuth.REQUIRE);
    Http anonymous = new Http(url, certs.clientContext(false));
    assertThatThrownBy(() -> anonymous.get("/primary")).isInstanceOf(UncheckedIOException.class);
    Http operator = new Http(url, certs.clientContext(true));
    assertThat(operator.get("/primary").statusCode()).isEqualTo(200);
    assertThat(operator.send("POST", "/switchover", SWITCHOVER).statusCode()).isEqualTo(200);
  }

  @Test
  void optionalClientCertificatesLetRoutersCheckHealthButNotChangeAnything() {
    String url = start(ProbeConfig.ClientAuth.OPTIONAL);
    Http router = new Http(url, certs.clientContext(false));
    assertThat(router.get("/primary").statusCode()).isEqualTo(200);
    assertThat(router.get("/metrics").statusCode()).isEqualTo(200);
    var refused = router.send("POST", "/switchover", SWITCHOVER);
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(refused.body()).contains("client certificate is required");
    Http operator = new Http(url, certs.clientContext(true));
    assertThat(operator.send("POST", "/switchover", SWITCHOVER).statusCode()).isEqualTo(200);
  }

  @Test
  void anAllowListAdmitsOnlyCertificatesNamedInItByCommonNameOrAlternativeName() {
    for (String name : new String[] {"operator", "ops.example.com"}) {
      String url = start(ProbeConfig.ClientAuth.OPTIONAL, Set.of(name));
      assertThat(new Http(url, certs.clientContext(true)).send("POST", "/switchover", SWITCHOVER).statusCode())
          .as(name).isEqualTo(200);
      server.close();
    }
    String url = start(ProbeConfig.ClientAuth.REQUIRE, Set.of("rfctl-admin"));
    Http operator = new Http(url, certs.clientContext(true));
    assertThat(operator.get("/primary").statusCode()).isEqualTo(200);
    var refused = operator.send("POST", "/switchover", SWITCHOVER);
    assertThat(refused.statusCode()).isEqualTo(403);
    assertThat(refused.body()).contains("not in api.tls.allowed_client_names");
  }

  @Test
  void withoutClientAuthenticationAnyTlsClientMayAdminister() {
    String url = start(ProbeConfig.ClientAuth.NONE);
    assertThat(new Http(url, certs.clientContext(false)).send("POST", "/switchover", SWITCHOVER).statusCode())
        .isEqualTo(200);
  }

  @Test
  void unusableTlsFilesFailTheStartNamingThem() throws Exception {
    Path junk = Files.writeString(dir.resolve("junk.pem"), "not a certificate");
    ProbeConfig.Tls tls = new ProbeConfig.Tls(junk, certs.serverKey, Optional.empty(), Optional.empty(),
        ProbeConfig.ClientAuth.NONE);
    FakeMember member = new FakeMember(Scene.cluster().primary("pg1", MB).witness("w1").as("pg1"));
    assertThatThrownBy(() -> ProbeServer.start(member, ProbeConfig.builder().port(0).tls(tls).build()))
        .isInstanceOf(ProbeStartException.class).hasMessageContaining("TLS files").hasMessageContaining("junk.pem");
  }
}

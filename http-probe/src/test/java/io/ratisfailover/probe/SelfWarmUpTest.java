package io.ratisfailover.probe;

import static io.ratisfailover.probe.Scene.MB;
import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe's warm-up against its own listener: it runs beside real clients without taking their
 * places or showing in their metrics, it passes a client-certificate requirement with the probe's
 * own certificate, and it ends within its bounds, however it ends.
 */
class SelfWarmUpTest {
  @TempDir
  static Path dir;
  private static Certificates certs;
  private static Certificates otherCa;
  private ProbeServer server;

  @BeforeAll
  static void makeCertificates() throws Exception {
    Assumptions.assumeTrue(Certificates.opensslAvailable(),
        "the openssl command is needed to make test certificates (Debian package openssl)");
    certs = Certificates.create(Files.createDirectories(dir.resolve("cluster")));
    otherCa = Certificates.create(Files.createDirectories(dir.resolve("other")));
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private ProbeServer start(Path clientCa, int maxConnections) {
    FakeMember member = new FakeMember(Scene.cluster().primary("pg1", 10 * MB).replica("pg2", 10 * MB, 10 * MB)
        .witness("w1").as("pg1"));
    ProbeConfig.Tls tls = new ProbeConfig.Tls(certs.serverCert, certs.serverKey, Optional.empty(), Optional.of(clientCa),
        ProbeConfig.ClientAuth.REQUIRE);
    server = ProbeServer.start(member, ProbeConfig.builder().host("127.0.0.1").port(0).tls(tls)
        .maxConnections(maxConnections).maxConnectionsPerClient(maxConnections).build());
    return server;
  }

  @Test
  void aWarmUpTakesNoClientsPlaceAndIsNotCountedAsOne() {
    // One connection in all and per client: were the warm-up's connections counted, the real
    // client on the same address would be refused whenever the warm-up holds one.
    start(certs.ca, 1);
    SelfWarmUp warmUp = server.warmUp(new SelfWarmUp.Budget(1_000_000, 20, Duration.ofSeconds(60)));
    Http client = new Http(server.url(), certs.clientContext(true));
    Await.until("the warm-up to be under way", Duration.ofSeconds(30), () -> warmUp.answered() >= 100,
        () -> "answered " + warmUp.answered() + ", finished " + warmUp.finished());
    for (int i = 0; i < 50; i++) {
      assertThat(client.get("/primary").statusCode()).isEqualTo(200);
    }
    String metrics = client.get("/metrics").body();
    assertThat(warmUp.finished()).as("still warming up while the client was served").isFalse();
    assertThat(metrics).containsPattern("ratis_failover_probe_requests_total\\{[^}]*code=\"200\"[^}]*} 50.0\\b")
        .containsPattern("ratis_failover_probe_open_connections\\{[^}]*} 1.0\\b")
        .doesNotContainPattern("ratis_failover_probe_connections_rejected_total\\{[^}]*} [1-9]");
    assertThat(warmUp.answered()).isGreaterThan(100);
  }

  @Test
  void aProbeConfiguredToWarmUpDoesSoOnceItListensWithoutWaitingForIt() {
    FakeMember member = new FakeMember(Scene.cluster().primary("pg1", MB).witness("w1").as("pg1"));
    server = ProbeServer.start(member, ProbeConfig.builder().host("127.0.0.1").port(0).warmUp(true).build());
    SelfWarmUp warmUp = server.lastWarmUp().orElseThrow();
    assertThat(new Http(server.url()).get("/primary").statusCode()).isEqualTo(200);
    Await.until("the warm-up to end", Duration.ofSeconds(30), warmUp::finished, () -> "answered " + warmUp.answered());
    assertThat(warmUp.answered()).isPositive();
    assertThat(new Http(server.url()).get("/metrics").body())
        .containsPattern("ratis_failover_probe_requests_total\\{[^}]*code=\"200\"[^}]*} 1.0\\b");
  }

  @Test
  void aWarmUpEndsAfterItsRequestsWithTheProbesOwnCertificateAsClientCertificate() {
    start(certs.ca, 1024);
    SelfWarmUp warmUp = server.warmUp(new SelfWarmUp.Budget(300, 7, Duration.ofSeconds(60)));
    Await.until("the warm-up to end", Duration.ofSeconds(60), warmUp::finished, () -> "answered " + warmUp.answered());
    assertThat(warmUp.answered()).isEqualTo(300);
  }

  @Test
  void aWarmUpEndsAtItsTimeBoundAndWhenTheProbeCloses() {
    start(certs.ca, 1024);
    SelfWarmUp timed = server.warmUp(new SelfWarmUp.Budget(1_000_000, 20, Duration.ofMillis(500)));
    Await.until("the warm-up to end", Duration.ofSeconds(10), timed::finished, () -> "answered " + timed.answered());
    assertThat(timed.answered()).isLessThan(1_000_000);
    SelfWarmUp closed = server.warmUp(new SelfWarmUp.Budget(1_000_000, 20, Duration.ofSeconds(60)));
    Await.until("the warm-up to be under way", Duration.ofSeconds(30), () -> closed.answered() > 0, () -> "none answered");
    server.close();
    server = null;
    assertThat(closed.finished()).isTrue();
  }

  @Test
  void aWarmUpWhoseCertificateTheClientCaRefusesStopsAndTheProbeServesOn() {
    start(otherCa.ca, 1024);
    SelfWarmUp warmUp = server.warmUp(new SelfWarmUp.Budget(300, 7, Duration.ofSeconds(60)));
    Await.until("the warm-up to end", Duration.ofSeconds(30), warmUp::finished, () -> "answered " + warmUp.answered());
    assertThat(warmUp.answered()).isZero();
    assertThat(new Http(server.url(), otherCa.clientContext(true, certs.ca)).get("/primary").statusCode()).isEqualTo(200);
  }
}

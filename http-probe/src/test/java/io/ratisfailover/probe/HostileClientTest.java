package io.ratisfailover.probe;

import static io.ratisfailover.probe.Scene.MB;
import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Malformed HTTP, oversized requests, slow and piled-up clients: precise 4xx, or a closed connection, never a hang. */
class HostileClientTest {
  private ProbeServer server;
  private final List<RawClient> clients = new ArrayList<>();

  @BeforeEach
  void start() {
    server = startServer(Duration.ofMillis(500), Duration.ofSeconds(1));
  }

  private static ProbeServer startServer(Duration requestTimeout, Duration idleTimeout) {
    FakeMember member = new FakeMember(Scene.cluster().primary("pg1", 10 * MB).replica("pg2", 10 * MB, 10 * MB)
        .witness("w1").as("pg1"));
    return ProbeServer.start(member, ProbeConfig.builder().host("127.0.0.1").port(0)
        .requestTimeout(requestTimeout).idleTimeout(idleTimeout).maxConnections(40).build());
  }

  @AfterEach
  void stop() {
    clients.forEach(RawClient::close);
    server.close();
  }

  private RawClient connect() {
    RawClient c = new RawClient(server.port());
    clients.add(c);
    return c;
  }

  @Test
  void aHaproxyStyleCheckGetsTheStatusLineAndAClosedConnection() {
    String answer = connect().send("OPTIONS /primary HTTP/1.0\r\n\r\n").readUntilClosed();
    assertThat(answer).startsWith("HTTP/1.0 200 OK\r\n").contains("content-length: 0");
  }

  @Test
  void garbageIsA400WithAJsonReasonAndTheConnectionIsClosed() {
    String answer = connect().send("HELLO THERE\r\n\r\n").readUntilClosed();
    assertThat(answer).startsWith("HTTP/1.1 400 Bad Request").contains("{\"error\":\"malformed HTTP request")
        .doesNotContain("io.netty");
  }

  @Test
  void anOverlongRequestLineIs414() {
    String answer = connect().send("GET /" + "a".repeat(8000) + " HTTP/1.1\r\nHost: x\r\n\r\n").readUntilClosed();
    assertThat(answer).startsWith("HTTP/1.1 414").contains("request line too long");
  }

  @Test
  void hugeHeadersAre431() {
    String answer = connect().send("GET /primary HTTP/1.1\r\nHost: x\r\nX-Junk: " + "j".repeat(20_000) + "\r\n\r\n")
        .readUntilClosed();
    assertThat(answer).startsWith("HTTP/1.1 431").contains("request headers too large");
  }

  @Test
  void anOversizedDeclaredBodyIs413BeforeItIsSent() {
    String answer = connect().send("POST /switchover HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n")
        .readUntilClosed();
    assertThat(answer).startsWith("HTTP/1.1 413").contains("larger than");
  }

  @Test
  void aSlowlorisClientIsCutOffAfterTheRequestTimeoutWhileOthersAreServed() {
    List<RawClient> slow = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      slow.add(connect().send("GET /primary HTTP/1.1\r\nHost: x\r\n"));
    }
    Http http = new Http(server.url());
    for (int i = 0; i < 20; i++) {
      assertThat(http.status("OPTIONS", "/primary")).isEqualTo(200);
    }
    for (RawClient c : slow) {
      assertThat(c.readUntilClosed()).isEmpty();
    }
  }

  @Test
  void aConnectionThatNeverSendsIsClosed() {
    assertThat(connect().readUntilClosed()).isEmpty();
  }

  @Test
  void aKeptAliveConnectionServesManyRequestsInOrderThenIdlesOut() {
    RawClient c = connect().send("GET /primary HTTP/1.1\r\nHost: x\r\n\r\nOPTIONS /replica HTTP/1.1\r\nHost: x\r\n\r\n"
        + "HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(c.readResponse()).startsWith("HTTP/1.1 200 OK");
    assertThat(c.readResponse()).startsWith("HTTP/1.1 503");
    assertThat(c.readResponse()).startsWith("HTTP/1.1 503");
    assertThat(c.readUntilClosed()).isEmpty();
  }

  @Test
  void oneHostHoldingMoreConnectionsThanTheServerAllowsCannotStarveAnotherHostsHealthChecks() {
    // The default limits (1024 in all); the flooding host is 127.0.0.1, HAProxy is 127.0.0.2.
    server.close();
    FakeMember member = new FakeMember(Scene.cluster().primary("pg1", 10 * MB).replica("pg2", 10 * MB, 10 * MB)
        .witness("w1").as("pg1"));
    server = ProbeServer.start(member, ProbeConfig.builder().host("127.0.0.1").port(0).build());
    int answered = 0;
    for (int i = 0; i < 1100; i++) {
      RawClient c = connect().send("OPTIONS /primary HTTP/1.1\r\nHost: x\r\n\r\n");
      try {
        if (c.readResponse().startsWith("HTTP/1.1 200")) {
          answered++;
        }
      } catch (AssertionError | java.io.UncheckedIOException e) {
        // closed at once: over a limit
      }
    }
    assertThat(answered).as("connections the flooding host holds")
        .isEqualTo(ProbeConfig.builder().build().maxConnectionsPerClient());
    for (int i = 0; i < 5; i++) {
      RawClient haproxy = new RawClient(server.port(), "127.0.0.2");
      clients.add(haproxy);
      assertThat(haproxy.send("OPTIONS /primary HTTP/1.0\r\n\r\n").readUntilClosed()).startsWith("HTTP/1.0 200 OK");
    }
    RawClient scraper = new RawClient(server.port(), "127.0.0.2");
    clients.add(scraper);
    assertThat(scraper.send("GET /metrics HTTP/1.0\r\n\r\n").readUntilClosed())
        .containsPattern("ratis_failover_probe_connections_rejected_total\\{[^}]*} [1-9]");
  }

  @Test
  void connectionsBeyondTheLimitAreClosedAndTheProbeRecovers() {
    // Timeouts long enough that the held connections stay open however slow this machine is today.
    server.close();
    server = startServer(Duration.ofSeconds(30), Duration.ofSeconds(30));
    // Each held connection is answered once (and kept alive), so the server has counted all 40
    // before the first extra arrives: accepted connections become active on several event loops,
    // and an extra could otherwise be counted ahead of a held one and be served in its place.
    List<RawClient> held = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      RawClient c = connect().send("OPTIONS /primary HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(c.readResponse()).startsWith("HTTP/1.1 200 OK");
      held.add(c);
    }
    for (int i = 0; i < 10; i++) {
      RawClient extra = connect();
      boolean refused = !extra.trySend("OPTIONS /primary HTTP/1.0\r\n\r\n") || extra.readUntilClosed().isEmpty();
      assertThat(refused).as("connection %d beyond the limit closed without an answer", i + 1).isTrue();
    }
    held.forEach(RawClient::close);
    Await.until("the probe to serve again", Duration.ofSeconds(5),
        () -> new Http(server.url()).status("OPTIONS", "/primary") == 200);
    assertThat(new Http(server.url()).get("/metrics").body())
        .containsPattern("ratis_failover_probe_connections_rejected_total\\{[^}]*} [1-9]");
  }
}

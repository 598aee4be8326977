package io.ratisfailover.harness.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chaos harness's jitter proxy, on loopback against an echo server. */
class LinkProxyTest {
  private static final String LOOPBACK = "127.0.0.1";

  @TempDir Path dir;
  private ServerSocket echo;
  private Thread echoThread;

  @BeforeEach
  void startEcho() throws IOException {
    echo = new ServerSocket(0, 50, InetAddress.getByName(LOOPBACK));
    echoThread = new Thread(() -> {
      while (!echo.isClosed()) {
        try {
          Socket s = echo.accept();
          new Thread(() -> copy(s), "echo").start();
        } catch (IOException e) {
          return;
        }
      }
    }, "echo-accept");
    echoThread.setDaemon(true);
    echoThread.start();
  }

  @AfterEach
  void stopEcho() throws IOException, InterruptedException {
    echo.close();
    echoThread.join(5_000);
  }

  private static void copy(Socket s) {
    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
      in.transferTo(out);
    } catch (IOException e) {
      // the client went away
    }
  }

  private Socket client(int port) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress(LOOPBACK, port), 5_000);
    s.setSoTimeout(10_000);
    s.setTcpNoDelay(true);
    return s;
  }

  @Test
  void withJitterEveryMessageArrivesInOrderAndSomeArriveLate() throws Exception {
    Files.writeString(dir.resolve("jitter"), "100");
    long slowest = 0;
    try (LinkProxy proxy = LinkProxy.watching(dir.resolve("jitter"));
        Socket s = client(proxy.forward(LOOPBACK, echo.getLocalPort(), 0));
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
        DataInputStream in = new DataInputStream(s.getInputStream())) {
      for (int i = 0; i < 30; i++) {
        long sent = System.nanoTime();
        out.writeInt(i);
        out.flush();
        assertThat(in.readInt()).isEqualTo(i);
        slowest = Math.max(slowest, System.nanoTime() - sent);
      }
      // A burst, written faster than the jitter: the stream must still come back in order.
      for (int i = 0; i < 2_000; i++) {
        out.writeInt(i);
        if (i % 50 == 0) {
          out.flush();
        }
      }
      out.flush();
      for (int i = 0; i < 2_000; i++) {
        assertThat(in.readInt()).isEqualTo(i);
      }
    }
    // 60 independent delays up to 100 ms each: that none exceeded 20 ms has a chance of 0.2^60.
    assertThat(Duration.ofNanos(slowest)).isGreaterThan(Duration.ofMillis(20));
  }

  @Test
  void theJitterFollowsTheControlFileWhileTheConnectionStaysOpen() throws Exception {
    Path control = dir.resolve("jitter");
    try (LinkProxy proxy = LinkProxy.watching(control);
        Socket s = client(proxy.forward(LOOPBACK, echo.getLocalPort(), 0));
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
        DataInputStream in = new DataInputStream(s.getInputStream())) {
      out.writeInt(1);
      out.flush();
      assertThat(in.readInt()).isEqualTo(1);
      Files.writeString(control, "400");
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      long slowest = 0;
      for (int i = 2; slowest < Duration.ofMillis(100).toNanos() && System.nanoTime() < deadline; i++) {
        long sent = System.nanoTime();
        out.writeInt(i);
        out.flush();
        assertThat(in.readInt()).isEqualTo(i);
        slowest = Math.max(slowest, System.nanoTime() - sent);
      }
      assertThat(Duration.ofNanos(slowest)).as("a round trip once the jitter is 400 ms").isGreaterThan(Duration.ofMillis(100));
    }
  }

  /**
   * Chaos seed 453479: a proxy that accepted a peer while the service was down closed the peer
   * with a reset, which a cut starting at that instant dropped, leaving the peer a connection to
   * nowhere. A peer of a service that is down must be refused, as without the proxy.
   */
  @Test
  void aPeerOfAServiceThatIsDownIsRefusedAndServedOnceTheServiceListens() throws Exception {
    int servicePort;
    try (ServerSocket gone = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
      servicePort = gone.getLocalPort();
    }
    try (LinkProxy proxy = LinkProxy.watching(dir.resolve("none"))) {
      int port = proxy.forward(LOOPBACK, servicePort, 0);
      assertThat(refused(port)).as("connecting while the service is down").isTrue();

      ServerSocket service = new ServerSocket();
      service.setReuseAddress(true);
      service.bind(new InetSocketAddress(LOOPBACK, servicePort));
      try (service) {
        assertThat(Poll.until(() -> !refused(port), Duration.ofSeconds(5))).as("served once the service listens").isTrue();
      }
      assertThat(Poll.until(() -> refused(port), Duration.ofSeconds(5))).as("refused once the service stops").isTrue();
    }
  }

  private static boolean refused(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(LOOPBACK, port), 1_000);
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  @Test
  void theServiceClosingItsSideReachesTheClient() throws Exception {
    try (LinkProxy proxy = LinkProxy.watching(dir.resolve("none"));
        Socket s = client(proxy.forward(LOOPBACK, echo.getLocalPort(), 0))) {
      s.getOutputStream().write(new byte[] {1, 2, 3});
      s.shutdownOutput();
      assertThat(s.getInputStream().readAllBytes()).containsExactly(1, 2, 3);
    }
  }
}

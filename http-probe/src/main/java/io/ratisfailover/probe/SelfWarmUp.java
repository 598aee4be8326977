package io.ratisfailover.probe;

import io.ratisfailover.ClusterMember;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.apache.ratis.thirdparty.io.netty.handler.ssl.JdkSslContext;
import org.apache.ratis.thirdparty.io.netty.handler.ssl.SslContextBuilder;
import org.apache.ratis.thirdparty.io.netty.handler.ssl.SslProvider;
import org.apache.ratis.thirdparty.io.netty.util.concurrent.DefaultThreadFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bounded burst of read-only health checks that the probe sends to its own listener right after
 * it binds, so that the JIT compiles the path a router's check takes (TLS engine, HTTP codec, API,
 * status documents) before the checks matter. Without it, a fresh probe's first quarter of a
 * minute of checks has a p99 two to three times the warm one (docs/benchmark-results.md).
 *
 * <p>Through the real listener, over TCP from this host's own address and with TLS as configured,
 * so that what gets compiled is exactly the code that serves routers. Its connections are
 * {@link OwnConnections}: outside the connection limits and the metrics, so it can neither refuse
 * a real client nor be counted as one. It only reads (GET and OPTIONS on health checks and
 * {@code /patroni}), which changes nothing any client sees; one connection at a time and one
 * request at a time, on one low-priority daemon thread; it stops after {@link Budget#requests()}
 * requests or {@link Budget#duration()}, at its first failure, or when the probe closes, whichever
 * comes first, and logs once what it did. {@link ProbeServer#start} does not wait for it.
 *
 * <p>Certificates: the warm-up trusts exactly the probe's own certificate file (it dials itself),
 * and presents no client certificate unless {@code client_auth} is {@code REQUIRE}, where a
 * connection without one is refused. Then it presents the probe's own certificate and key: the
 * member's process already holds them, so that proves nothing the process could not anyway, and
 * reads need no more. When the client CA does not vouch for that certificate (another CA, or a key
 * usage that excludes clients), the first handshake fails and the warm-up stops, saying so once;
 * the probe then warms up on real traffic, as without it.
 */
final class SelfWarmUp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SelfWarmUp.class);

  /**
   * How much warming: enough requests for the JIT's optimizing compiler to take the hot methods
   * (thousands of calls each), bounded in time so that a slow machine stops early.
   *
   * @param requests requests in all
   * @param perConnection requests on one kept-alive connection before the next one opens, so that
   *     handshakes are warmed too (HAProxy may open a connection per check); not many more, as a
   *     cold handshake costs as much as tens of requests (on a loaded machine, 50-250 ms against
   *     about 3 ms for a request)
   * @param duration the warm-up ends after this long, however far it got
   */
  record Budget(int requests, int perConnection, Duration duration) {
    static final Budget DEFAULT = new Budget(4_000, 100, Duration.ofSeconds(10));

    Budget {
      if (requests < 1 || perConnection < 1 || duration.isNegative() || duration.isZero()) {
        throw new IllegalArgumentException("a warm-up needs at least one request, on connections of at least one"
            + " request, in a positive time: " + requests + ", " + perConnection + ", " + duration);
      }
    }
  }

  /** What a router asks, over and over: HAProxy's OPTIONS, a person's or a script's GET. */
  private static final List<String> REQUESTS = List.of(
      "OPTIONS /primary", "GET /primary", "OPTIONS /replica", "GET /replica?lag=1MB", "OPTIONS /read-only",
      "GET /health", "OPTIONS /liveness", "GET /readiness", "GET /patroni", "OPTIONS /primary");
  private static final int CONNECT_TIMEOUT_MILLIS = 1_000;

  private final ClusterMember member;
  private final InetSocketAddress target;
  private final Optional<ProbeConfig.Tls> tlsConfig;
  private final OwnConnections own;
  private final Budget budget;
  private final LongSupplier ticker;
  private final Thread thread;
  private volatile boolean closed;
  private volatile Socket current;
  private volatile int answered;

  private SelfWarmUp(ClusterMember member, InetSocketAddress target, Optional<ProbeConfig.Tls> tlsConfig,
      OwnConnections own, Budget budget, LongSupplier ticker, String threadName) {
    this.member = member;
    this.target = target;
    this.tlsConfig = tlsConfig;
    this.own = own;
    this.budget = budget;
    this.ticker = ticker;
    this.thread = new DefaultThreadFactory(threadName, true, Thread.MIN_PRIORITY).newThread(this::run);
  }

  /**
   * Starts warming the probe listening on {@code listening} and returns at once.
   *
   * @param listening the address the probe is bound to; a wildcard address is dialled on loopback
   */
  static SelfWarmUp start(ClusterMember member, ProbeConfig config, InetSocketAddress listening, OwnConnections own,
      Budget budget, LongSupplier ticker) {
    InetAddress address = listening.getAddress();
    if (address.isAnyLocalAddress()) {
      address = InetAddress.getLoopbackAddress();
    }
    SelfWarmUp warmUp = new SelfWarmUp(member, new InetSocketAddress(address, listening.getPort()),
        config.tls(), own, budget, ticker, "ratis-failover-probe-" + member.id() + "-warm-up");
    warmUp.thread.start();
    return warmUp;
  }

  /** Stops the warm-up (closing its connection) and waits briefly for its thread. */
  @Override
  public void close() {
    closed = true;
    closeQuietly(current);
    try {
      thread.join(CONNECT_TIMEOUT_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether the warm-up has ended (done, out of time, failed or closed). */
  boolean finished() {
    return !thread.isAlive();
  }

  /** Requests answered so far. */
  int answered() {
    return answered;
  }

  private void run() {
    long start = ticker.getAsLong();
    long deadline = start + budget.duration().toNanos();
    int connections = 0;
    String ended = "done";
    try {
      Optional<SSLSocketFactory> tls = tlsConfig.map(SelfWarmUp::socketFactory);
      while (answered < budget.requests()) {
        if (closed) {
          ended = "the probe closed";
          break;
        }
        if (ticker.getAsLong() >= deadline) {
          ended = "out of time";
          break;
        }
        connections++;
        exchange(tls, Math.min(budget.perConnection(), budget.requests() - answered), deadline);
      }
    } catch (IOException | RuntimeException e) {
      if (closed) {
        ended = "the probe closed";
      } else if (ticker.getAsLong() >= deadline) {
        ended = "out of time"; // a read cut short by the deadline
      } else {
        long millis = TimeUnit.NANOSECONDS.toMillis(ticker.getAsLong() - start);
        log.warn("member {} epoch {}: probe warm-up stopped after {} requests on {} connections in {} ms: {}; the probe"
            + " warms up on real checks instead", member.id(), member.local().epoch(), answered, connections, millis,
            describe(e));
        return;
      }
    }
    long millis = TimeUnit.NANOSECONDS.toMillis(ticker.getAsLong() - start);
    log.info("member {} epoch {}: probe warm-up ended ({}): {} requests on {} connections to {} in {} ms", member.id(),
        member.local().epoch(), ended, answered, connections, target, millis);
  }

  /** One connection, for {@code count} requests at most. */
  private void exchange(Optional<SSLSocketFactory> tls, int count, long deadline) throws IOException {
    Socket plain = new Socket();
    InetSocketAddress local;
    try {
      plain.bind(new InetSocketAddress(target.getAddress(), 0));
      local = (InetSocketAddress) plain.getLocalSocketAddress();
    } catch (IOException e) {
      closeQuietly(plain);
      throw e;
    }
    own.add(local);
    current = plain;
    try (Socket socket = connect(plain, tls)) {
      current = socket;
      OutputStream out = socket.getOutputStream();
      InputStream in = new BufferedInputStream(socket.getInputStream());
      for (int i = 0; i < count && !closed; i++) {
        long left = deadline - ticker.getAsLong();
        if (left <= 0) {
          break;
        }
        socket.setSoTimeout((int) Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), CONNECT_TIMEOUT_MILLIS)));
        String request = REQUESTS.get(answered % REQUESTS.size());
        out.write((request + " HTTP/1.1\r\nHost: warm-up\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        readResponse(in, request);
        answered++;
      }
    } finally {
      current = null;
      own.remove(local);
    }
  }

  private Socket connect(Socket plain, Optional<SSLSocketFactory> tls) throws IOException {
    plain.setTcpNoDelay(true);
    plain.connect(target, CONNECT_TIMEOUT_MILLIS);
    if (tls.isEmpty()) {
      return plain;
    }
    SSLSocket socket = (SSLSocket) tls.get().createSocket(plain, target.getAddress().getHostAddress(), target.getPort(), true);
    socket.setSoTimeout(CONNECT_TIMEOUT_MILLIS);
    socket.startHandshake();
    return socket;
  }

  /** Reads one response, status line to the end of its Content-Length body; any answer will do. */
  private static void readResponse(InputStream in, String request) throws IOException {
    StringBuilder line = new StringBuilder();
    int contentLength = 0;
    boolean statusLine = true;
    while (true) {
      readLine(in, line);
      if (statusLine) {
        if (!line.toString().startsWith("HTTP/1.1 ")) {
          throw new IOException("'" + request + "' was answered with '" + line + "'");
        }
        statusLine = false;
      } else if (line.length() == 0) {
        break;
      } else if (line.toString().toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        contentLength = Integer.parseInt(line.substring("content-length:".length()).trim());
      }
    }
    for (long skipped = 0; skipped < contentLength; ) {
      long n = in.skip(contentLength - skipped);
      if (n <= 0) {
        if (in.read() < 0) {
          throw new EOFException("the probe closed the connection in an answer's body");
        }
        n = 1;
      }
      skipped += n;
    }
  }

  private static void readLine(InputStream in, StringBuilder line) throws IOException {
    line.setLength(0);
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        throw new EOFException("the probe closed the connection");
      }
      if (c != '\r') {
        line.append((char) c);
      }
    }
  }

  /**
   * TLS sockets trusting exactly the probe's own certificate file, presenting that certificate
   * only where the probe requires client certificates.
   */
  private static SSLSocketFactory socketFactory(ProbeConfig.Tls tls) {
    try {
      SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
          .trustManager(tls.certificateChain().toFile());
      if (tls.clientAuth() == ProbeConfig.ClientAuth.REQUIRE) {
        b.keyManager(tls.certificateChain().toFile(), tls.privateKey().toFile(), tls.keyPassword().orElse(null));
      }
      return ((JdkSslContext) b.build()).context().getSocketFactory();
    } catch (SSLException e) {
      // The server read the same files a moment ago: this would be the JDK unable to, where BoringSSL could.
      throw new IllegalStateException("the JDK cannot use the probe's TLS files (" + tls + "): " + e.getMessage(), e);
    }
  }

  private static String describe(Throwable e) {
    Optional<Throwable> tlsCause = Optional.empty();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SSLException) {
        tlsCause = Optional.of(t);
      }
    }
    return tlsCause.map(t -> "the TLS handshake with itself failed (" + t.getMessage() + ")").orElse(e.toString());
  }

  private static void closeQuietly(Socket socket) {
    if (socket == null) {
      return;
    }
    try {
      socket.close();
    } catch (IOException e) {
      // closing to stop: nothing left to do
    }
  }
}

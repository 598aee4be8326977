package io.ratisfailover.harness.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member's links with jitter, where the kernel has no netem: listens beside each of the member's
 * service ports and forwards every connection to that port, holding each chunk of bytes, in either
 * direction, for a random time up to the current jitter. Chunks stay in order (TCP is late, never
 * reordered), and a full queue stops the reading side, so a slow link pushes back as TCP does. The
 * chaos network redirects the peers' connections here (nftables in the member's namespace); the
 * jitter is read from a control file every 100 ms, so links slow down and heal while their
 * connections stay open, as Raft's and replication's long-lived connections do.
 *
 * <p>The proxy listens for a service only while the service itself listens ({@code /proc/net/tcp},
 * checked every {@link #FOLLOW_EVERY}, and at once when the service refuses a connection): a peer
 * that connects to a service that is down is refused at once, as it would be without the proxy. Accepting such a connection and closing it (the
 * service refused the proxy) sends the peer a reset, since its first bytes were never read; a cut
 * that starts at that instant drops the reset, and the peer is left with a connection that only it
 * believes open. Chaos seed 453479: the leader's gRPC channel for appends sat on such a connection,
 * waiting for the server's HTTP/2 settings, for the rest of the run (no keepalive, and nothing left
 * for it to send), while the heartbeat channel worked.
 *
 * <p>Usage: {@code LinkProxy CONTROL_FILE ADDRESS PORT:LISTEN_PORT...}; the control file holds the
 * jitter in milliseconds (none when the file is missing).
 */
public final class LinkProxy implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LinkProxy.class);
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
  /**
   * Reading {@code /proc/net/tcp} walks the kernel's whole connection table, about 5 ms of system
   * time on a large host whatever the namespace holds: every 20 ms, three proxies took a third of a
   * two-core machine from the cluster they test. A refused connection closes the listener at once.
   */
  private static final Duration FOLLOW_EVERY = Duration.ofMillis(200);
  private static final int CHUNK = 16 * 1024;
  /** Chunks in flight per direction before the reader waits: 1 MB, TCP-window-like. */
  private static final int IN_FLIGHT = 64;

  private final Path control;
  private final List<Forward> forwards = new CopyOnWriteArrayList<>();
  private final RateLimitedWarning connectFailures = new RateLimitedWarning(Duration.ofSeconds(1));
  private volatile long jitterNanos;
  private volatile boolean closed;

  private LinkProxy(Path control) {
    this.control = control;
    this.jitterNanos = Duration.ofMillis(readJitterMillis()).toNanos();
  }

  /** A proxy with no forwards yet, following the jitter in {@code control}. */
  static LinkProxy watching(Path control) {
    LinkProxy proxy = new LinkProxy(control);
    start("control", proxy::watchControlFile);
    start("follow", proxy::followServices);
    return proxy;
  }

  public static void main(String[] args) throws IOException, InterruptedException {
    if (args.length < 3) {
      System.err.println("usage: LinkProxy CONTROL_FILE ADDRESS PORT:LISTEN_PORT...");
      System.exit(2);
    }
    LinkProxy proxy = watching(Path.of(args[0]));
    for (int i = 2; i < args.length; i++) {
      String[] ports = args[i].split(":");
      proxy.forward(args[1], Integer.parseInt(ports[0]), Integer.parseInt(ports[1]));
    }
    Thread.currentThread().join();
  }

  /**
   * Forwards {@code address:listenPort} (0: a free port, chosen now) to {@code address:port},
   * listening while the service does; returns the listening port.
   */
  int forward(String address, int port, int listenPort) throws IOException {
    int listen = listenPort;
    if (listen == 0) {
      try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName(address))) {
        listen = probe.getLocalPort();
      }
    }
    Forward f = new Forward(new InetSocketAddress(address, listen), new InetSocketAddress(address, port));
    f.follow(ListeningPorts.read());
    forwards.add(f);
    log.info("forwarding {}:{} to port {}", address, listen, port);
    return listen;
  }

  /** Opens and closes each forward's listener as its service starts and stops listening, until closed. */
  private void followServices() {
    while (!closed) {
      ListeningPorts listening = ListeningPorts.read();
      for (Forward f : forwards) {
        try {
          f.follow(listening);
        } catch (IOException e) {
          connectFailures.warn(log, "listening on {} for port {}: {}", f.listen, f.target.getPort(), e.toString());
        }
      }
      LockSupport.parkNanos(FOLLOW_EVERY.toNanos());
    }
    forwards.forEach(Forward::stopListening);
  }

  /** One forwarded service: a listener, open while the service listens. */
  private final class Forward {
    private final InetSocketAddress listen;
    private final InetSocketAddress target;
    private ServerSocket server;

    Forward(InetSocketAddress listen, InetSocketAddress target) {
      this.listen = listen;
      this.target = target;
    }

    synchronized void follow(ListeningPorts listening) throws IOException {
      boolean up = listening.has(target.getPort());
      if (up && server == null && !closed) {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(listen);
        server = s;
        start("accept-" + target.getPort(), () -> accept(s));
        log.info("port {} listens: accepting on {}", target.getPort(), listen.getPort());
      } else if (!up && server != null) {
        stopListening();
        log.info("port {} stopped listening: refusing on {}", target.getPort(), listen.getPort());
      }
    }

    synchronized void stopListening() {
      if (server != null) {
        try {
          server.close();
        } catch (IOException e) {
          // closing either way
        }
        server = null;
      }
    }

    private void accept(ServerSocket s) {
      while (!s.isClosed()) {
        try {
          Socket client = s.accept();
          start("connect-" + target.getPort(), () -> connect(client, this));
        } catch (IOException e) {
          if (!s.isClosed()) {
            log.warn("accepting on {}: {}", listen.getPort(), e.toString());
          }
        }
      }
    }
  }

  /** Polls the control file for the jitter until closed. */
  private void watchControlFile() {
    long last = -1;
    while (!closed) {
      long millis = readJitterMillis();
      if (millis != last) {
        log.info("jitter now {} ms", millis);
        last = millis;
      }
      jitterNanos = Duration.ofMillis(millis).toNanos();
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
    }
  }

  private long readJitterMillis() {
    try {
      String text = Files.readString(control, StandardCharsets.UTF_8).strip();
      return text.isEmpty() ? 0 : Long.parseLong(text);
    } catch (NoSuchFileException e) {
      return 0;
    } catch (IOException | NumberFormatException e) {
      log.warn("unreadable control file {}: {}; keeping the jitter", control, e.toString());
      return Duration.ofNanos(jitterNanos).toMillis();
    }
  }

  /**
   * Connects the accepted client to the forward's service; a refused or unreachable service closes
   * the client, and a refusal (the service is down) the listener too, until the service listens again.
   */
  private void connect(Socket client, Forward forward) {
    InetSocketAddress target = forward.target;
    Socket upstream = new Socket();
    try {
      upstream.connect(target, (int) CONNECT_TIMEOUT.toMillis());
      client.setTcpNoDelay(true);
      upstream.setTcpNoDelay(true);
    } catch (IOException e) {
      if (e instanceof ConnectException) {
        forward.stopListening();
      }
      // Closing the client is what a peer sees of a service that is down: say so, once a second at most.
      connectFailures.warn(log, "connecting {} to port {} failed: {}", client.getRemoteSocketAddress(), target.getPort(),
          e.toString());
      closeQuietly(client);
      closeQuietly(upstream);
      return;
    }
    log.info("link {} -> port {} open", client.getRemoteSocketAddress(), target.getPort());
    Link link = new Link(client, upstream);
    link.pump(client, upstream, "up-" + target.getPort());
    link.pump(upstream, client, "down-" + target.getPort());
  }

  /** One forwarded connection: two directions; an error in either closes both sockets. */
  private final class Link {
    private final Socket a;
    private final Socket b;
    private int directionsOpen = 2;
    private boolean closing;

    Link(Socket a, Socket b) {
      this.a = a;
      this.b = b;
    }

    /** Reads {@code from} into a queue of timed chunks; a second thread writes them to {@code to} when due. */
    void pump(Socket from, Socket to, String name) {
      BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(IN_FLIGHT);
      start(name + "-read", () -> {
        long lastDue = 0;
        try {
          // Not closed when done: closing a socket's stream closes the socket, and the other direction may go on.
          InputStream in = from.getInputStream();
          byte[] buf = new byte[CHUNK];
          int n;
          while ((n = in.read(buf)) >= 0) {
            long jitter = jitterNanos;
            long due = System.nanoTime() + (jitter == 0 ? 0 : ThreadLocalRandom.current().nextLong(jitter + 1));
            lastDue = Math.max(lastDue, due);
            hand(queue, new Chunk(Arrays.copyOf(buf, n), lastDue));
          }
          hand(queue, Chunk.END);
        } catch (IOException e) {
          fail(name + " read: " + e);
          queue.offer(Chunk.END);
        }
      });
      start(name + "-write", () -> {
        try {
          OutputStream out = to.getOutputStream();
          for (Chunk c = queue.take(); c != Chunk.END; c = queue.take()) {
            for (long wait = c.due - System.nanoTime(); wait > 0; wait = c.due - System.nanoTime()) {
              LockSupport.parkNanos(wait);
            }
            out.write(c.bytes);
            out.flush();
          }
          to.shutdownOutput();
          directionDone(name);
        } catch (IOException e) {
          fail(name + " write: " + e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          fail(name + " interrupted");
        }
      });
    }

    /** Waits while the link is full; gives up once the link is closed (the writing side failed). */
    private void hand(BlockingQueue<Chunk> queue, Chunk chunk) throws IOException {
      try {
        while (!queue.offer(chunk, 100, TimeUnit.MILLISECONDS)) {
          if (a.isClosed()) {
            throw new IOException("link closed");
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }

    private synchronized void directionDone(String name) {
      if (--directionsOpen == 0) {
        fail(name + " ended, both ways closed");
      }
    }

    /** Closes both sockets; the first reason is logged, with the peer, so a closed link can be told from a dead service. */
    private void fail(String reason) {
      boolean first;
      synchronized (this) {
        first = !closing;
        closing = true;
      }
      if (first) {
        log.info("link {} closed: {}", a.getRemoteSocketAddress(), reason);
      }
      closeQuietly(a);
      closeQuietly(b);
    }
  }

  /** Bytes to write at {@code due} (System.nanoTime), or the end of the stream. */
  private record Chunk(byte[] bytes, long due) {
    static final Chunk END = new Chunk(new byte[0], 0);
  }

  private static void start(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // closing either way
    }
  }

  /** Stops accepting; connections open now live on until either end closes them. */
  @Override
  public void close() {
    closed = true;
    forwards.forEach(Forward::stopListening);
  }
}

package io.ratisfailover.probe.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.net.SocketFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * The client side of the probe benchmark, run as its own process. Open loop: requests are due at a
 * fixed rate, spread over kept-alive connections, and each one's latency counts from when it was
 * due, not from when it was sent, so a stall shows up in the percentiles instead of hiding in a
 * slower sending rate (coordinated omission). Closed loop ({@code --rate 0}): every connection
 * sends as fast as answers come back, for the throughput.
 *
 * <pre>
 * LoadClient --url http://127.0.0.1:8008 --method OPTIONS --path /primary --rate 1000 --seconds 20 --connections 8
 * LoadClient --url https://127.0.0.1:8008 --ca ca.pem ...
 * </pre>
 *
 * <p>Over HTTPS each kept-alive connection does its handshake once, before its first request is
 * due, as HAProxy's checks on a kept-alive connection would; a reconnect after an error pays it
 * inside the measured latency.
 */
public final class LoadClient {
  private LoadClient() {}

  public static void main(String[] args) throws InterruptedException {
    Map<String, String> a = new TreeMap<>(Map.of("--method", "OPTIONS", "--path", "/primary", "--rate", "1000",
        "--seconds", "20", "--connections", "8", "--warmup", "2"));
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i], args[i + 1]);
    }
    if (!a.containsKey("--url")) {
      System.err.println("usage: LoadClient --url http[s]://127.0.0.1:PORT [--ca ca.pem (for https)] [--method OPTIONS]"
          + " [--path /primary] [--rate 1000 (0 = as fast as possible)] [--seconds 20] [--connections 8] [--warmup 2]");
      System.exit(2);
    }
    URI url = URI.create(a.get("--url"));
    SocketFactory sockets = "https".equals(url.getScheme())
        ? trusting(Path.of(a.getOrDefault("--ca", "ca.pem"))).getSocketFactory() : SocketFactory.getDefault();
    String method = a.get("--method");
    String path = a.get("--path");
    int rate = Integer.parseInt(a.get("--rate"));
    int seconds = Integer.parseInt(a.get("--seconds"));
    int connections = Integer.parseInt(a.get("--connections"));
    int warmup = Integer.parseInt(a.get("--warmup"));
    byte[] request = (method + " " + path + " HTTP/1.1\r\nHost: " + url.getHost() + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);

    run(url, sockets, request, rate, warmup, connections, null);
    Result r = new Result();
    run(url, sockets, request, rate, seconds, connections, r);
    long[] lat = r.latencies();
    Arrays.sort(lat);
    double elapsed = (r.end.get() - r.start) / 1e9;
    System.out.printf("%s %s %s: %s, %d s, %d connections: %d answered (%s), %d errors, %.0f req/s;"
        + " latency p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms%n",
        method, path, url.getHost() + ":" + url.getPort(), rate == 0 ? "closed loop" : "open loop at " + rate + "/s",
        seconds, connections, lat.length, r.statuses, r.errors.get(), lat.length / elapsed, pct(lat, 0.50),
        pct(lat, 0.90), pct(lat, 0.99), pct(lat, 0.999), pct(lat, 1.0));
  }

  /** What one measured run saw. */
  private static final class Result {
    final List<long[]> perThread = new ArrayList<>();
    final List<Integer> counts = new ArrayList<>();
    final Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
    final AtomicLong errors = new AtomicLong();
    final AtomicLong end = new AtomicLong();
    long start;

    synchronized void add(long[] latencies, int n) {
      perThread.add(latencies);
      counts.add(n);
    }

    long[] latencies() {
      int total = counts.stream().mapToInt(Integer::intValue).sum();
      long[] all = new long[total];
      int at = 0;
      for (int i = 0; i < perThread.size(); i++) {
        System.arraycopy(perThread.get(i), 0, all, at, counts.get(i));
        at += counts.get(i);
      }
      return all;
    }
  }

  private static void run(URI url, SocketFactory sockets, byte[] request, int rate, int seconds, int connections, Result result)
      throws InterruptedException {
    long start = System.nanoTime() + 50_000_000L;
    long end = start + seconds * 1_000_000_000L;
    long period = rate == 0 ? 0 : 1_000_000_000L * connections / rate;
    if (result != null) {
      result.start = start;
    }
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < connections; c++) {
      long offset = rate == 0 ? 0 : 1_000_000_000L * c / rate;
      Thread t = new Thread(() -> connection(url, sockets, request, start + offset, period, end, result), "load-" + c);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    if (result != null) {
      result.end.set(Math.max(System.nanoTime(), end));
    }
  }

  /** One kept-alive connection: requests due every {@code period} from {@code first} (or back to back when 0). */
  private static void connection(URI url, SocketFactory sockets, byte[] request, long first, long period, long end, Result result) {
    long[] latencies = new long[1 << 16];
    int n = 0;
    Connection conn = null;
    try {
      conn = new Connection(url, sockets);
    } catch (IOException e) {
      // counted below, when the first request finds no connection and fails to open one again
    }
    long due = first;
    while (true) {
      long now = System.nanoTime();
      if (period > 0) {
        if (due >= end) {
          break;
        }
        while ((now = System.nanoTime()) < due) {
          LockSupport.parkNanos(due - now);
        }
      } else if (now >= end) {
        break;
      } else {
        due = now;
      }
      try {
        if (conn == null) {
          conn = new Connection(url, sockets);
        }
        int status = conn.exchange(request);
        long latency = System.nanoTime() - due;
        if (result != null) {
          if (n == latencies.length) {
            latencies = Arrays.copyOf(latencies, n * 2);
          }
          latencies[n++] = latency;
          result.statuses.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
        }
      } catch (IOException e) {
        if (result != null) {
          result.errors.incrementAndGet();
        }
        if (conn != null) {
          conn.close();
        }
        conn = null;
      }
      due += period;
    }
    if (conn != null) {
      conn.close();
    }
    if (result != null) {
      result.add(latencies, n);
    }
  }

  /** A kept-alive HTTP/1.1 connection that sends a request and reads one response at a time. */
  private static final class Connection {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final StringBuilder line = new StringBuilder();

    Connection(URI url, SocketFactory sockets) throws IOException {
      socket = sockets.createSocket();
      socket.setTcpNoDelay(true);
      socket.connect(new InetSocketAddress(url.getHost(), url.getPort()), 2_000);
      socket.setSoTimeout(5_000);
      if (socket instanceof SSLSocket ssl) {
        ssl.startHandshake();
      }
      out = socket.getOutputStream();
      in = new BufferedInputStream(socket.getInputStream(), 16384);
    }

    /** Sends {@code request}, reads the status line, headers and Content-Length body; returns the status. */
    int exchange(byte[] request) throws IOException {
      out.write(request);
      out.flush();
      int status = -1;
      int length = 0;
      boolean close = false;
      while (true) {
        line.setLength(0);
        int b;
        while ((b = in.read()) != '\n') {
          if (b < 0) {
            throw new IOException("connection closed");
          }
          if (b != '\r') {
            line.append((char) b);
          }
        }
        if (line.length() == 0) {
          break;
        }
        String l = line.toString();
        if (status < 0) {
          status = Integer.parseInt(l.substring(9, 12));
        } else if (l.regionMatches(true, 0, "content-length:", 0, 15)) {
          length = Integer.parseInt(l.substring(15).strip());
        } else if (l.regionMatches(true, 0, "connection:", 0, 11) && l.toLowerCase().contains("close")) {
          close = true;
        }
      }
      in.readNBytes(length);
      if (close) {
        throw new IOException("server closed the connection");
      }
      return status;
    }

    void close() {
      try {
        socket.close();
      } catch (IOException e) {
        // closing
      }
    }
  }

  /** A TLS client that trusts the one CA in {@code caFile} (PEM) and presents no certificate. */
  private static SSLContext trusting(Path caFile) {
    try {
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      try (InputStream in = Files.newInputStream(caFile)) {
        trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot trust the CA in " + caFile + ": " + e.getMessage(), e);
    }
  }

  private static double pct(long[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
    return sorted[Math.max(0, i)] / 1e6;
  }
}

package io.ratisfailover.harness.chaos;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

/**
 * Watches the cluster every 50 ms from the observer's namespace, which a cut never separates from
 * the members: for each data member, whether it claims the lease ({@code /primary} 200) and whether
 * its PostgreSQL accepts writes; and HAProxy's view of the primary backend through its admin socket.
 * Records every sample where two members both hold a lease and accept writes, and every sample where
 * HAProxy lists two servers UP.
 */
final class Observer implements AutoCloseable {
  static final Duration EVERY = Duration.ofMillis(50);
  private static final java.util.regex.Pattern RAFT_LEADER = java.util.regex.Pattern.compile("\"raft_leader\"\\s*:\\s*\"([^\"]+)\"");

  /** One member's latest sample. */
  record Sample(long atNanos, boolean lease, boolean writable) {}

  private final ChaosCluster cluster;
  private final long started;
  private final Map<String, Sample> latest = new ConcurrentHashMap<>();
  private final List<String> violations = new CopyOnWriteArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(300)).build();
  private volatile boolean running = true;
  private volatile List<String> haproxyUp = List.of();
  private volatile long samples;
  private volatile long haproxySamples;

  /** @param started the run's start, which times in messages count from */
  Observer(ChaosCluster cluster, long started) {
    this.cluster = cluster;
    this.started = started;
  }

  Observer start() {
    for (String m : ChaosCluster.DATA) {
      threads.add(daemon("observe-" + m, () -> watchMember(m)));
    }
    threads.add(daemon("observe-haproxy", this::watchHaproxy));
    threads.add(daemon("observe-dual", this::watchDual));
    return this;
  }

  private static Thread daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  List<String> violations() {
    return List.copyOf(violations);
  }

  /** The member that claims the lease now, as last sampled. */
  Optional<String> leaseHolder() {
    long fresh = System.nanoTime() - 3 * EVERY.toNanos();
    return ChaosCluster.DATA.stream().filter(m -> {
      Sample s = latest.get(m);
      return s != null && s.atNanos() > fresh && s.lease();
    }).findFirst();
  }

  /** The Raft leader as the members' status documents name it, the first that names one. */
  Optional<String> raftLeader() {
    for (String m : ChaosCluster.MEMBERS) {
      HttpRequest status = HttpRequest.newBuilder(URI.create(cluster.api(m) + "/patroni"))
          .timeout(Duration.ofMillis(500)).GET().build();
      try {
        String body = http.send(status, HttpResponse.BodyHandlers.ofString()).body();
        java.util.regex.Matcher leader = RAFT_LEADER.matcher(body);
        if (leader.find()) {
          return Optional.of(leader.group(1));
        }
      } catch (IOException e) {
        // the next member may answer
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Optional.empty();
      }
    }
    return Optional.empty();
  }

  /**
   * Whether the member's agent has started and its loop runs ({@code /liveness} 200). A member that
   * rejoins after losing its Raft storage serves its probe only once it is a voter again: until then
   * the cluster has one voter less, and a second fault on it would be a fault too many.
   */
  boolean live(String member) {
    return cluster.answers200(member, "/liveness");
  }

  /** The servers HAProxy listed UP in its primary backend at the last sample. */
  List<String> haproxyUp() {
    return haproxyUp;
  }

  long dualChecks() {
    return samples;
  }

  long haproxySamples() {
    return haproxySamples;
  }

  String summary() {
    return samples + " dual-primary checks, " + haproxySamples + " HAProxy samples, " + violations.size() + " violations";
  }

  /** How the observer connects to a member's PostgreSQL: as the superuser, giving up on a server after a second. */
  static Properties directConnection() {
    Properties props = new Properties();
    props.setProperty("user", "postgres");
    props.setProperty("password", ChaosCluster.PASSWORD);
    props.setProperty("connectTimeout", "1");
    props.setProperty("loginTimeout", "2");
    props.setProperty("socketTimeout", "1");
    return props;
  }

  private void watchMember(String member) {
    Properties props = directConnection();
    Connection c = null;
    HttpRequest primary = HttpRequest.newBuilder(URI.create(cluster.api(member) + "/primary"))
        .timeout(Duration.ofMillis(500)).method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build();
    while (running) {
      long t = System.nanoTime();
      boolean lease;
      try {
        lease = http.send(primary, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
      } catch (IOException e) {
        lease = false;
      } catch (InterruptedException e) {
        return;
      }
      boolean writable = false;
      try {
        if (c == null) {
          c = DriverManager.getConnection(cluster.jdbc(member), props);
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
            "SELECT NOT pg_is_in_recovery() AND current_setting('default_transaction_read_only') = 'off'")) {
          writable = rs.next() && rs.getBoolean(1);
        }
      } catch (SQLException e) {
        closeQuietly(c);
        c = null;
      }
      latest.put(member, new Sample(t, lease, writable));
      pause(t);
    }
    closeQuietly(c);
  }

  /** Both members' samples, when both are recent, must not both say "lease and writable". */
  private void watchDual() {
    while (running) {
      long t = System.nanoTime();
      Sample a = latest.get("pg1");
      Sample b = latest.get("pg2");
      long fresh = t - 3 * EVERY.toNanos();
      if (a != null && b != null && a.atNanos() > fresh && b.atNanos() > fresh) {
        samples++;
        if (a.lease() && a.writable() && b.lease() && b.writable()) {
          violations.add(String.format("t+%.2fs: pg1 and pg2 both hold a lease and accept writes", seconds(t)));
        }
      }
      pause(t);
    }
  }

  private void watchHaproxy() {
    while (running) {
      long t = System.nanoTime();
      try {
        List<String> up = serversUp(cluster.statsSocket());
        haproxyUp = up;
        haproxySamples++;
        if (up.size() > 1) {
          violations.add(String.format("t+%.2fs: HAProxy lists %s UP in the primary backend", seconds(t), up));
        }
      } catch (IOException e) {
        // HAProxy not up yet, or restarting: nothing to judge
      }
      pause(t);
    }
  }

  /** {@code show stat} on HAProxy's admin socket: the servers of backend {@code primary} that are UP. */
  static List<String> serversUp(java.nio.file.Path socket) throws IOException {
    String csv;
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      ch.write(ByteBuffer.wrap("show stat\n".getBytes(StandardCharsets.US_ASCII)));
      ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
      while (ch.read(buf) >= 0 && buf.hasRemaining()) {
        // read until HAProxy closes the connection
      }
      csv = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII);
    }
    List<String> up = new ArrayList<>();
    for (String line : csv.split("\n")) {
      String[] f = line.split(",", -1);
      // pxname, svname, ..., status is the 18th field, check_status the 37th. A server whose first
      // check has not completed (INI) is listed UP by HAProxy's own default, not by any answer of
      // ours: HAProxy starts every server UP, so both show UP for a moment after it starts.
      if (f.length > 36 && f[0].equals("primary") && !f[1].equals("FRONTEND") && !f[1].equals("BACKEND")
          && f[17].startsWith("UP") && !f[36].startsWith("INI")) {
        up.add(f[1]);
      }
    }
    return up;
  }

  private double seconds(long nanos) {
    return (nanos - started) / 1e9;
  }

  private void pause(long since) {
    long left = since + EVERY.toNanos() - System.nanoTime();
    if (left > 0) {
      LockSupport.parkNanos(left);
    }
  }

  /** Closes a JDBC connection that may be broken already. */
  static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        // broken already
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    for (Thread t : threads) {
      t.join(5_000);
    }
  }
}

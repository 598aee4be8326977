package io.ratisfailover.probe.e2e;

import io.ratisfailover.testing.ChildProcesses;
import io.ratisfailover.testing.HaproxyConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Debian's HAProxy as a child process, configured the way a Patroni user configures it, with its
 * admin socket for reading server states. Stopped by its own PID on {@link #close()}, which tests
 * call in a finally block.
 */
final class Haproxy implements AutoCloseable {
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(2);
  private final Process process;
  private final Path socket;
  private final Path log;

  /** A backend server: where clients go ({@code port}) and where its probe answers ({@code checkPort}). */
  record Server(String name, int port, int checkPort) {}

  private Haproxy(Process process, Path socket, Path log) {
    this.process = process;
    this.socket = socket;
    this.log = log;
  }

  /** The haproxy binary, if installed (scripts/prerequisites.sh installs Debian's package). */
  static Optional<Path> binary() {
    for (String dir : List.of("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin")) {
      Path p = Path.of(dir, "haproxy");
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /**
   * The configuration from Patroni's documentation, with a TCP listener for clients and one server
   * per data member whose health is {@code OPTIONS /primary} on its probe port.
   */
  static String patroniStyleConfig(Path socket, int frontPort, List<Server> servers) {
    return patroniStyleConfig(socket, frontPort, servers, RECOMMENDED_CHECKS);
  }

  /** The README's recommended health-check timing: a server is DOWN within 0.75 s, UP within 100 ms. */
  static final String RECOMMENDED_CHECKS = "inter 500ms fastinter 250ms downinter 100ms fall 2 rise 1";
  /** The hold-off for it: {@code inter + (fall - 1) x fastinter}. */
  static final java.time.Duration RECOMMENDED_HOLD_OFF = java.time.Duration.ofMillis(750);
  /** The timing of Patroni's documented HAProxy configuration. */
  static final String PATRONI_STOCK_CHECKS = "inter 3s fall 3 rise 2";

  /** The same, with {@code checks} ({@code inter .. fall .. rise ..}) on every server. */
  static String patroniStyleConfig(Path socket, int frontPort, List<Server> servers, String checks) {
    HaproxyConfig config = HaproxyConfig.primary(socket, "127.0.0.1", frontPort).retries(2)
        .timeoutConnect("1s").timeoutIdle("30s").checks(checks);
    servers.forEach(s -> config.server(s.name(), "127.0.0.1", s.port(), s.checkPort()));
    return config.render();
  }

  static Haproxy start(Path binary, Path dir, String config) {
    try {
      Path cfg = Files.writeString(dir.resolve("haproxy.cfg"), config);
      Path socket = dir.resolve("haproxy.sock");
      Path log = dir.resolve("haproxy.log");
      // -db: stay in the foreground, so the child we hold is HAProxy itself and its PID is the one to stop.
      Process p = new ProcessBuilder(binary.toString(), "-db", "-f", cfg.toString()).redirectErrorStream(true)
          .redirectOutput(log.toFile()).start();
      return new Haproxy(p, socket, log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start haproxy", e);
    }
  }

  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process.isAlive();
  }

  String log() {
    try {
      return Files.exists(log) ? Files.readString(log) : "";
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  /**
   * {@code show stat} for {@code proxy}: each server's status as HAProxy reports it ("UP",
   * "DOWN", "UP 1/2" while going down, ...). Empty when the socket does not answer yet.
   */
  Optional<Map<String, String>> serverStates(String proxy) {
    String csv;
    try {
      csv = command("show stat");
    } catch (IOException e) {
      return Optional.empty();
    }
    String[] lines = csv.split("\n");
    if (lines.length == 0 || !lines[0].startsWith("# ")) {
      return Optional.empty();
    }
    List<String> columns = List.of(lines[0].substring(2).split(","));
    int px = columns.indexOf("pxname");
    int sv = columns.indexOf("svname");
    int status = columns.indexOf("status");
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      String[] f = lines[i].split(",", -1);
      if (f.length > status && f[px].equals(proxy) && !f[sv].equals("FRONTEND") && !f[sv].equals("BACKEND")) {
        out.put(f[sv], f[status]);
      }
    }
    return Optional.of(out);
  }

  /** One admin-socket command, with a deadline: HAProxy answers and closes the connection. */
  String command(String command) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX); Selector selector = Selector.open()) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      ch.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII)));
      ch.configureBlocking(false);
      ch.register(selector, SelectionKey.OP_READ);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteBuffer buf = ByteBuffer.allocate(16384);
      long deadline = System.nanoTime() + SOCKET_TIMEOUT.toNanos();
      while (true) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IOException("haproxy's admin socket did not answer '" + command + "' within " + SOCKET_TIMEOUT);
        }
        selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        selector.selectedKeys().clear();
        buf.clear();
        int n = ch.read(buf);
        if (n < 0) {
          return out.toString(StandardCharsets.US_ASCII);
        }
        out.write(buf.array(), 0, n);
      }
    }
  }

  /** SIGTERM to HAProxy's PID, then SIGKILL if it has not exited within a few seconds. */
  @Override
  public void close() {
    ChildProcesses.stop(process.toHandle(), STOP_TIMEOUT);
  }
}

package io.ratisfailover.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The HAProxy configuration of the demo, the chaos harness and the end-to-end tests, written in
 * one place: HAProxy in front of the data members as a Patroni user configures it, a TCP listener
 * whose servers are checked with {@code OPTIONS /primary} on each member's API port, the one
 * answering 200 receiving the connections, and an admin socket for reading server states. What
 * differs between its users (timeouts, check intervals, a stats page) is set here by name.
 */
public final class HaproxyConfig {
  /** One data member: its name, where its PostgreSQL listens ({@code host:port}) and its API port on the same host. */
  public record Server(String name, String host, int port, int checkPort) {}

  private final Path statsSocket;
  private final String bindHost;
  private final int bindPort;
  private final List<Server> servers = new ArrayList<>();
  private String timeoutConnect = "1s";
  private String timeoutClientAndServer = "30s";
  private String checks = "inter 1s fall 2 rise 1";
  private Optional<Integer> retries = Optional.empty();
  private Optional<Integer> statsPort = Optional.empty();

  private HaproxyConfig(Path statsSocket, String bindHost, int bindPort) {
    this.statsSocket = statsSocket;
    this.bindHost = bindHost;
    this.bindPort = bindPort;
  }

  /** The listener {@code primary} on {@code bindHost:bindPort}, with its admin socket at {@code statsSocket}. */
  public static HaproxyConfig primary(Path statsSocket, String bindHost, int bindPort) {
    return new HaproxyConfig(statsSocket, bindHost, bindPort);
  }

  public HaproxyConfig server(String name, String host, int port, int checkPort) {
    servers.add(new Server(name, host, port, checkPort));
    return this;
  }

  /** {@code timeout connect}: how long HAProxy waits for a server, and between its retries of a refused connection. */
  public HaproxyConfig timeoutConnect(String timeout) {
    this.timeoutConnect = timeout;
    return this;
  }

  /** {@code timeout client} and {@code timeout server}: how long an idle client connection stays open. */
  public HaproxyConfig timeoutIdle(String timeout) {
    this.timeoutClientAndServer = timeout;
    return this;
  }

  /** {@code default-server} check settings, such as {@code inter 500ms fall 2 rise 1}. */
  public HaproxyConfig checks(String settings) {
    this.checks = settings;
    return this;
  }

  /** {@code retries}: HAProxy's default (3) when not set. */
  public HaproxyConfig retries(int count) {
    this.retries = Optional.of(count);
    return this;
  }

  /** A stats page over HTTP on {@code 127.0.0.1:port}. */
  public HaproxyConfig statsPage(int port) {
    this.statsPort = Optional.of(port);
    return this;
  }

  public String render() {
    StringBuilder c = new StringBuilder();
    c.append("global\n")
        .append("    maxconn 200\n")
        .append("    stats socket ").append(statsSocket).append(" mode 600 level admin\n\n")
        .append("defaults\n")
        .append("    mode tcp\n");
    retries.ifPresent(r -> c.append("    retries ").append(r).append('\n'));
    c.append("    timeout connect ").append(timeoutConnect).append('\n')
        .append("    timeout client ").append(timeoutClientAndServer).append('\n')
        .append("    timeout server ").append(timeoutClientAndServer).append('\n')
        .append("    timeout check 1s\n\n");
    statsPort.ifPresent(p -> c.append("listen stats\n")
        .append("    mode http\n")
        .append("    bind 127.0.0.1:").append(p).append('\n')
        .append("    stats enable\n")
        .append("    stats uri /\n\n"));
    c.append("listen primary\n")
        .append("    bind ").append(bindHost).append(':').append(bindPort).append('\n')
        .append("    option httpchk OPTIONS /primary\n")
        .append("    http-check expect status 200\n")
        .append("    default-server ").append(checks).append(" on-marked-down shutdown-sessions\n");
    for (Server s : servers) {
      c.append("    server ").append(s.name()).append(' ').append(s.host()).append(':').append(s.port())
          .append(" maxconn 100 check port ").append(s.checkPort()).append('\n');
    }
    return c.toString();
  }
}

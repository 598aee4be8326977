package io.ratisfailover.probe;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where and how a member tells HAProxy directly that it started or stopped answering 200 on
 * {@code /primary}, through HAProxy's runtime API ({@code stats socket ... level admin}), instead of
 * waiting for HAProxy's next health checks. The checks stay the safety net: a push only sets a
 * server's health the way the next check would, and a push that fails changes nothing.
 *
 * @param runtimeApis HAProxy runtime API addresses, one per HAProxy: a unix socket or {@code host:port}
 * @param backend the HAProxy backend (or {@code listen} section) routing to the primary
 * @param serverNames HAProxy server name of each member that is not named after its member id
 * @param timeout bound on one push to one HAProxy (connect, send, answer)
 */
public record HaproxyPush(List<RuntimeApi> runtimeApis, String backend, Map<String, String> serverNames,
    Duration timeout) {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(500);

  public HaproxyPush {
    runtimeApis = List.copyOf(runtimeApis);
    serverNames = Map.copyOf(serverNames);
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(timeout, "timeout");
    if (runtimeApis.isEmpty()) {
      throw new IllegalArgumentException("probe.haproxy.runtime_api must name at least one HAProxy runtime API address");
    }
    requireName("probe.haproxy.backend", backend);
    serverNames.forEach((member, server) -> requireName("probe.haproxy.servers." + member, server));
    if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofSeconds(10)) > 0) {
      throw new IllegalArgumentException("probe.haproxy.timeout must be between 1 ms and 10 s, got " + timeout);
    }
  }

  /** The HAProxy server that routes to {@code member}. */
  public String serverOf(String member) {
    return serverNames.getOrDefault(member, member);
  }

  /** A runtime API name is sent inside a command line: no separators, no spaces, nothing to inject. */
  private static void requireName(String field, String name) {
    if (name == null || !name.matches("[A-Za-z0-9_.:-]+")) {
      throw new IllegalArgumentException(field + " must be an HAProxy name (letters, digits, '_', '.', ':', '-'), got '"
          + name + "'");
    }
  }

  /** One HAProxy's runtime API: a unix socket, or a TCP address. */
  public record RuntimeApi(Optional<Path> unixSocket, Optional<String> host, int port) {
    public RuntimeApi {
      Objects.requireNonNull(unixSocket, "unixSocket");
      Objects.requireNonNull(host, "host");
      if (unixSocket.isPresent() == host.isPresent()) {
        throw new IllegalArgumentException("an HAProxy runtime API is either a unix socket or a host:port");
      }
      if (host.isPresent() && (port < 1 || port > 65535)) {
        throw new IllegalArgumentException("HAProxy runtime API port must be between 1 and 65535, got " + port);
      }
    }

    /**
     * {@code unix:/path} or an absolute path for a unix socket, {@code host:port} (IPv6 in brackets) for TCP.
     *
     * @throws IllegalArgumentException saying which form was expected
     */
    public static RuntimeApi parse(String text) {
      if (text.startsWith("unix:") || text.startsWith("/")) {
        String path = text.startsWith("unix:") ? text.substring("unix:".length()) : text;
        if (path.isEmpty()) {
          throw new IllegalArgumentException("'" + text + "' names no unix socket");
        }
        return new RuntimeApi(Optional.of(Path.of(path)), Optional.empty(), 0);
      }
      int colon = text.lastIndexOf(':');
      if (colon <= 0 || colon == text.length() - 1) {
        throw new IllegalArgumentException("'" + text + "' is neither unix:/path nor host:port");
      }
      String host = text.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      try {
        return new RuntimeApi(Optional.empty(), Optional.of(host), Integer.parseInt(text.substring(colon + 1)));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + text + "' has no port number after ':'");
      }
    }

    @Override
    public String toString() {
      return unixSocket.map(p -> "unix:" + p).orElseGet(() -> host.orElseThrow() + ":" + port);
    }
  }
}

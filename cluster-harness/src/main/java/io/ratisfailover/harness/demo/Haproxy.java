package io.ratisfailover.harness.demo;

import java.util.List;

/**
 * HAProxy in front of the data members, configured as a Patroni user would — with our recommended
 * checks: HAProxy asks each member's {@code /primary} every 500 ms and follows the one answering 200.
 */
final class Haproxy {
  private Haproxy() {}

  /** One data member: its name, PostgreSQL port and API port, on loopback. */
  record Backend(String name, int postgresPort, int apiPort) {}

  static String config(int listenPort, int statsPort, String statsSocket, List<Backend> backends) {
    StringBuilder b = new StringBuilder();
    b.append("""
        global
            maxconn 200
            stats socket %s mode 600 level admin

        defaults
            mode tcp
            timeout connect 2s
            timeout client 30m
            timeout server 30m
            timeout check 1s

        listen stats
            mode http
            bind 127.0.0.1:%d
            stats enable
            stats uri /

        listen primary
            bind 127.0.0.1:%d
            option httpchk OPTIONS /primary
            http-check expect status 200
            default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
        """.formatted(statsSocket, statsPort, listenPort));
    for (Backend backend : backends) {
      b.append("    server ").append(backend.name()).append(" 127.0.0.1:").append(backend.postgresPort())
          .append(" maxconn 100 check port ").append(backend.apiPort()).append("\n");
    }
    return b.toString();
  }
}

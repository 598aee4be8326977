package io.ratisfailover.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The one HAProxy configuration builder writes, setting for setting, what its three users wrote by
 * hand before: the end-to-end tests, the demo and the chaos harness (compared line by line,
 * indentation and blank lines aside, which HAProxy ignores).
 */
class HaproxyConfigTest {
  static List<String> lines(String config) {
    return config.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
  }

  @Test
  void theEndToEndTestsConfiguration() {
    String config = HaproxyConfig.primary(Path.of("/tmp/h.sock"), "127.0.0.1", 6000).retries(2)
        .timeoutConnect("1s").timeoutIdle("30s").checks("inter 1s fall 2 rise 1")
        .server("pg1", "127.0.0.1", 6001, 7001).server("pg2", "127.0.0.1", 6002, 7002).render();
    assertThat(lines(config)).containsExactly(
        "global", "maxconn 200", "stats socket /tmp/h.sock mode 600 level admin",
        "defaults", "mode tcp", "retries 2", "timeout connect 1s", "timeout client 30s", "timeout server 30s", "timeout check 1s",
        "listen primary", "bind 127.0.0.1:6000", "option httpchk OPTIONS /primary", "http-check expect status 200",
        "default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions",
        "server pg1 127.0.0.1:6001 maxconn 100 check port 7001", "server pg2 127.0.0.1:6002 maxconn 100 check port 7002");
  }

  @Test
  void theDemosConfigurationWithItsStatsPage() {
    String config = HaproxyConfig.primary(Path.of("/w/haproxy.sock"), "127.0.0.1", 5000).timeoutConnect("2s")
        .timeoutIdle("30m").checks("inter 500ms fall 2 rise 1").statsPage(5001)
        .server("pg1", "127.0.0.1", 5432, 8008).render();
    assertThat(lines(config)).containsExactly(
        "global", "maxconn 200", "stats socket /w/haproxy.sock mode 600 level admin",
        "defaults", "mode tcp", "timeout connect 2s", "timeout client 30m", "timeout server 30m", "timeout check 1s",
        "listen stats", "mode http", "bind 127.0.0.1:5001", "stats enable", "stats uri /",
        "listen primary", "bind 127.0.0.1:5000", "option httpchk OPTIONS /primary", "http-check expect status 200",
        "default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions",
        "server pg1 127.0.0.1:5432 maxconn 100 check port 8008");
  }

  @Test
  void theChaosHarnessConfigurationInItsNamespaces() {
    String config = HaproxyConfig.primary(Path.of("/w/haproxy.sock"), "10.77.0.4", 5000).timeoutConnect("250ms")
        .timeoutIdle("30m").checks("inter 200ms fall 2 rise 1").server("pg1", "10.77.0.1", 5432, 8008).render();
    assertThat(lines(config)).containsExactly(
        "global", "maxconn 200", "stats socket /w/haproxy.sock mode 600 level admin",
        "defaults", "mode tcp", "timeout connect 250ms", "timeout client 30m", "timeout server 30m", "timeout check 1s",
        "listen primary", "bind 10.77.0.4:5000", "option httpchk OPTIONS /primary", "http-check expect status 200",
        "default-server inter 200ms fall 2 rise 1 on-marked-down shutdown-sessions",
        "server pg1 10.77.0.1:5432 maxconn 100 check port 8008");
  }
}

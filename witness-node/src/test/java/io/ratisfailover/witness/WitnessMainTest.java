package io.ratisfailover.witness;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.testing.Ports;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The witness refuses bad input with a non-zero exit and one line naming the key or the resource. */
class WitnessMainTest {
  @TempDir Path dir;

  final int[] ports = Ports.free(4);

  /** Two clusters on loopback; the second one's witness port and API port are the ones tests occupy. */
  String config(String timing) {
    return """
        member: w1
        storage: %s
        timing: %s
        raft: {insecure: true}
        clusters:
          - name: orders
            peers:
              - {id: pg1, kind: data, raft: 127.0.0.1:1}
              - {id: pg2, kind: data, raft: 127.0.0.1:2}
              - {id: w1, kind: witness, raft: 127.0.0.1:%d}
          - name: idp
            api_listen: 127.0.0.1:%d
            peers:
              - {id: db1, kind: data, raft: 127.0.0.1:3}
              - {id: db2, kind: data, raft: 127.0.0.1:4}
              - {id: w1, kind: witness, raft: 127.0.0.1:%d}
        """.formatted(dir.resolve("raft"), timing, ports[0], ports[1], ports[2]);
  }

  record Outcome(int exitCode, String err) {}

  Outcome run(String yaml) throws IOException {
    Path file = dir.resolve("witness.yml");
    Files.writeString(file, yaml);
    StringWriter err = new StringWriter();
    int exit = WitnessMain.run(new String[] {"--config", file.toString()}, new PrintWriter(new StringWriter(), true),
        new PrintWriter(err, true));
    return new Outcome(exit, err.toString().strip());
  }

  static void assertOneLine(Outcome outcome, String... mentions) {
    assertThat(outcome.exitCode()).as(outcome.err()).isNotZero();
    assertThat(outcome.err()).doesNotContain("\n").doesNotContain("Exception").contains(mentions);
  }

  @Test
  void invalidYamlIsRefused() throws IOException {
    assertOneLine(run("member: w1\nclusters: [\n"), "configuration error", "witness.yml");
  }

  @Test
  void anUnknownKeyIsNamed() throws IOException {
    assertOneLine(run(config("{profile: default}").replace("storage:", "storag:")), "storag");
  }

  @Test
  void aWitnessWithoutRaftTlsRefusesToStartUnlessToldItIsInsecure() throws IOException {
    Outcome outcome = run(config("{profile: default}").replace("raft: {insecure: true}\n", ""));
    assertOneLine(outcome, "configuration error", "raft.tls: is required");
    assertThat(outcome.exitCode()).isEqualTo(2);
  }

  @Test
  void anImpossibleTimingIsNamed() throws IOException {
    assertOneLine(run(config("{ttl: 1s, loop_wait: 2s}")), "timing", "ttl");
  }

  @Test
  void aRaftPortInUseIsNamedAndNothingKeepsRunning() throws IOException {
    try (ServerSocket taken = new ServerSocket(ports[2], 1, InetAddress.getLoopbackAddress())) {
      assertOneLine(run(config("{profile: default}")), "127.0.0.1:" + ports[2]);
    }
    // The first cluster's member was started and must have been closed: its port is free again.
    try (ServerSocket free = new ServerSocket(ports[0], 1, InetAddress.getLoopbackAddress())) {
      assertThat(free.isBound()).isTrue();
    }
  }

  @Test
  void anApiPortInUseIsNamed() throws IOException {
    try (ServerSocket taken = new ServerSocket(ports[1], 1, InetAddress.getLoopbackAddress())) {
      assertOneLine(run(config("{profile: default}")), "127.0.0.1:" + ports[1]);
    }
  }
}

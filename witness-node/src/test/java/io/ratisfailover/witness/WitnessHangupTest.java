package io.ratisfailover.witness;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.ChildProcesses;
import io.ratisfailover.testing.Ports;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The witness program in a process of its own re-reads its configuration on a real SIGHUP (sent by
 * {@code kill -HUP} to its PID), as an operator or systemd's {@code ExecReload} does.
 */
class WitnessHangupTest {
  static final Duration PATIENCE = Duration.ofSeconds(60);

  @TempDir Path dir;
  final int[] ports = Ports.free(2);
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  Process witness;

  @AfterEach
  void stop() {
    if (witness != null) {
      ChildProcesses.stop(witness.toHandle(), Duration.ofSeconds(20));
    }
  }

  /** One witness on one Raft port; each cluster's data members are addresses nobody listens on. */
  String config(String... clusters) {
    StringBuilder yaml = new StringBuilder("member: w1\nstorage: " + dir.resolve("w1") + "\n"
        + "raft: {address: 127.0.0.1:" + ports[0] + ", insecure: true}\napi_listen: 127.0.0.1:" + ports[1] + "\nclusters:\n");
    int unused = 1;
    for (String name : clusters) {
      yaml.append("  - name: ").append(name).append("\n    peers:\n")
          .append("      - {id: ").append(name).append("-pg1, kind: data, raft: '127.0.0.1:").append(unused++).append("'}\n")
          .append("      - {id: ").append(name).append("-pg2, kind: data, raft: '127.0.0.1:").append(unused++).append("'}\n")
          .append("      - {id: w1, kind: witness, raft: '127.0.0.1:").append(ports[0]).append("'}\n");
    }
    return yaml.toString();
  }

  @Test
  void aRealHangupAddsAndRemovesClustersAndABrokenFileChangesNothing() throws Exception {
    Path file = dir.resolve("witness.yml");
    Files.writeString(file, config("orders", "billing"));
    Path log = dir.resolve("witness.log");
    witness = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
        "-cp", System.getProperty("java.class.path"), WitnessMain.class.getName(), "--config", file.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    awaitClusters(log, List.of("orders", "billing"), List.of());

    Files.writeString(file, config("orders", "stock"));
    hangup();
    awaitClusters(log, List.of("orders", "stock"), List.of("billing"));

    Files.writeString(file, "member: w1\nclusters: []\n");
    hangup();
    Await.until("the broken file reported", PATIENCE, () -> tail(log).contains("nothing changed"), () -> tail(log));
    assertThat(clusters()).contains("\"name\":\"orders\"", "\"name\":\"stock\"");
    assertThat(witness.isAlive()).as("the witness kept running").isTrue();
  }

  void hangup() {
    int exit = ChildProcesses.run(List.of("kill", "-HUP", Long.toString(witness.pid())), null, Duration.ofSeconds(10));
    assertThat(exit).as("kill -HUP %d", witness.pid()).isZero();
  }

  void awaitClusters(Path log, List<String> served, List<String> gone) {
    Await.until("the witness to serve " + served + " and not " + gone, PATIENCE, () -> {
      assertThat(witness.isAlive()).as("the witness is running; its log:\n%s", tail(log)).isTrue();
      String body = clusters();
      return served.stream().allMatch(n -> body.contains("\"name\":\"" + n + "\""))
          && gone.stream().noneMatch(n -> body.contains("\"name\":\"" + n + "\""));
    }, () -> tail(log));
  }

  /** {@code GET /clusters}, or "" while the API is not up yet. */
  String clusters() {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[1] + "/clusters"))
          .timeout(Duration.ofSeconds(5)).GET().build(), BodyHandlers.ofString()).body();
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }

  static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}

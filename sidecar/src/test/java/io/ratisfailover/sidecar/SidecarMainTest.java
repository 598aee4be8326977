package io.ratisfailover.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.testing.Ports;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The sidecar refuses bad input with a non-zero exit and one line naming the key or the resource,
 * before it touches the data directory.
 */
class SidecarMainTest {
  @TempDir Path dir;

  final int[] ports = Ports.free(5);

  /** PostgreSQL refuses root: as root (CI) it runs as postgres, otherwise as whoever runs the tests. */
  static final String OS_USER =
      "root".equals(System.getProperty("user.name")) ? "postgres" : System.getProperty("user.name");

  /** A sidecar configuration on loopback whose only flaw is the one each test writes into it. */
  String config(String postgresExtra, String timing) {
    return """
        cluster: orders
        member: pg1
        peers:
          - {id: pg1, kind: data, raft: 127.0.0.1:%d}
          - {id: pg2, kind: data, raft: 127.0.0.1:%d}
          - {id: w1, kind: witness, raft: 127.0.0.1:%d}
        raft: {storage: %s, insecure: true}
        timing: %s
        api: {listen: 127.0.0.1:%d}
        postgresql:
          data_dir: %s
          listen: 127.0.0.1:%d
          os_user: %s
          superuser: {username: postgres, password: su}
          replication: {username: replicator, password: repl}
        %s""".formatted(ports[0], ports[3], ports[4], dir.resolve("raft"), timing, ports[1],
        dir.resolve("pgdata"), ports[2], OS_USER, postgresExtra);
  }

  record Outcome(int exitCode, String err) {}

  Outcome run(String yaml, String... extraArgs) throws IOException {
    Path file = dir.resolve("pg1.yml");
    Files.writeString(file, yaml);
    StringWriter err = new StringWriter();
    CommandLine cmd = new CommandLine(new SidecarMain()).setErr(new PrintWriter(err, true))
        .setOut(new PrintWriter(new StringWriter(), true));
    String[] args = new String[extraArgs.length + 2];
    args[0] = "--config";
    args[1] = file.toString();
    System.arraycopy(extraArgs, 0, args, 2, extraArgs.length);
    return new Outcome(cmd.execute(args), err.toString().strip());
  }

  static void assertOneLine(Outcome outcome, String... mentions) {
    assertThat(outcome.exitCode()).as(outcome.err()).isNotZero();
    assertThat(outcome.err()).doesNotContain("\n").doesNotContain("Exception").contains(mentions);
  }

  @Test
  void aGoodConfigurationPassesTheCheck() throws IOException {
    assertThat(run(config("", "{profile: default}"), "--check")).isEqualTo(new Outcome(0, ""));
  }

  @Test
  void invalidYamlIsRefused() throws IOException {
    assertOneLine(run("cluster: orders\nmember: [pg1\n"), "configuration error", "pg1.yml");
  }

  @Test
  void anUnknownKeyIsNamed() throws IOException {
    assertOneLine(run(config("  dat_dir: /tmp/x", "{profile: default}")), "postgresql.dat_dir");
  }

  @Test
  void anImpossibleTimingIsNamed() throws IOException {
    assertOneLine(run(config("", "{ttl: 1s, loop_wait: 2s}")), "timing", "ttl");
  }

  @Test
  void missingServerBinariesAreNamedBeforeAnythingStarts() throws IOException {
    Outcome outcome = run(config("  bin_dir: " + dir.resolve("no-postgres"), "{profile: default}"));
    assertOneLine(outcome, "no-postgres");
    assertThat(dir.resolve("raft")).doesNotExist();
    assertThat(dir.resolve("pgdata")).doesNotExist();
  }

  @Test
  void aRaftPortInUseIsNamed() throws IOException {
    try (ServerSocket taken = new ServerSocket(ports[0], 1, InetAddress.getLoopbackAddress())) {
      assertOneLine(run(config("", "{profile: default}")), "127.0.0.1:" + ports[0]);
    }
  }

  @Test
  void anApiPortInUseIsNamed() throws IOException {
    try (ServerSocket taken = new ServerSocket(ports[1], 1, InetAddress.getLoopbackAddress())) {
      assertOneLine(run(config("", "{profile: default}")), "127.0.0.1:" + ports[1]);
    }
  }

  @Test
  void aSecondSidecarForTheDataDirectoryOfARunningMemberExitsWithoutTouchingItsPostgres() throws Exception {
    // The running member: its "postmaster" (a process working in the data directory, named in
    // postmaster.pid), its Raft port, and the lock a running sidecar holds next to the directory.
    Path pgdata = Files.createDirectories(dir.resolve("pgdata"));
    Process postmaster = new ProcessBuilder("sleep", "600").directory(pgdata.toFile()).start();
    try (ServerSocket raft = new ServerSocket(ports[0], 1, InetAddress.getLoopbackAddress());
        FileChannel lockFile = FileChannel.open(dir.resolve("pgdata.lock"), StandardOpenOption.CREATE,
            StandardOpenOption.WRITE);
        FileLock held = lockFile.lock()) {
      Files.writeString(pgdata.resolve("postmaster.pid"), postmaster.pid() + "\n");
      // The same configuration, or another member's pointed at the same data directory.
      for (String yaml : new String[] {config("", "{profile: default}"),
          config("", "{profile: default}").replace("member: pg1", "member: pg2")}) {
        Outcome outcome = run(yaml);
        assertThat(postmaster.waitFor(100, java.util.concurrent.TimeUnit.MILLISECONDS))
            .as("the running member's PostgreSQL was stopped: " + outcome.err()).isFalse();
        assertOneLine(outcome, "data directory " + pgdata, "in use by another sidecar");
      }
      assertThat(dir.resolve("raft")).doesNotExist();
    } finally {
      postmaster.destroyForcibly();
    }
  }

  @Test
  void aRequiredWatchdogWithoutItsDeviceRefusesToStart() throws IOException {
    Path missing = dir.resolve("no-watchdog");
    Outcome outcome = run(config("watchdog: {mode: required, device: " + missing + ", safety_margin: 4s}", "{profile: conservative}"));
    assertOneLine(outcome, "watchdog: cannot open " + missing, "No such file or directory", "watchdog.mode is required");
    assertThat(outcome.exitCode()).isEqualTo(2);
    assertThat(dir.resolve("raft")).doesNotExist();
  }

  @Test
  void aRequiredWatchdogWhoseDeviceRefusesTheTimeoutRefusesToStart() throws IOException {
    // A regular file opens but answers no watchdog ioctl, as a device without timeout support would not.
    Path notADevice = Files.writeString(dir.resolve("not-a-watchdog"), "");
    assertOneLine(run(config("watchdog: {mode: required, device: " + notADevice + ", safety_margin: 4s}", "{profile: conservative}")),
        notADevice + " refused WDIOC_GETSUPPORT", "watchdog.mode is required");
  }

  @Test
  void anAutomaticWatchdogWithoutItsDeviceStartsWithoutIt() throws IOException {
    String yaml = config("watchdog: {mode: automatic, device: " + dir.resolve("no-watchdog") + ", safety_margin: 4s}", "{profile: conservative}");
    assertThat(run(yaml, "--check")).isEqualTo(new Outcome(0, ""));
  }
}

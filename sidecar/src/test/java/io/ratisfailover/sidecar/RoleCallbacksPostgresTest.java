package io.ratisfailover.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.Timing;
import io.ratisfailover.node.config.Callbacks;
import io.ratisfailover.postgres.testing.Faults;
import io.ratisfailover.postgres.testing.PgCluster;
import io.ratisfailover.postgres.testing.PgSandbox;
import io.ratisfailover.testing.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Callbacks on a real cluster (two data members with local PostgreSQL servers and a witness), wired
 * as the sidecar wires them: a listener on the agent's own thread that only queues the command.
 */
class RoleCallbacksPostgresTest {
  static final Duration WAIT = Duration.ofSeconds(90);

  @RegisterExtension
  static final PgSandbox pg = new PgSandbox();

  @TempDir Path dir;

  /**
   * Every callback records its arguments, then sleeps a minute. Had the agent waited for one, the
   * standby would not have followed, nor later been promoted, before that minute was over: the
   * record would then show a callback done first.
   */
  @Test
  void aFailoverRunsOnRoleChangeWhileASleepingCallbackHoldsNothing() throws IOException {
    Path record = dir.resolve("record");
    Path hook = dir.resolve("hook");
    Files.writeString(hook, """
        #!/bin/sh
        echo "$*" >> %1$s
        sleep 60
        echo "$* done" >> %1$s
        """.formatted(record));
    Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-xr-x"));
    PgCluster c = PgCluster.threeMembers(pg, "hooks", Timing.defaults(), ClusterSettings.DEFAULT).customize((id, b) -> {
      List<String> command = List.of(hook.toString(), id.value());
      CallbackRunner runner = new CallbackRunner(id, "hooks", new Callbacks(
          Map.of(Callbacks.Action.ON_START, command, Callbacks.Action.ON_ROLE_CHANGE, command), Duration.ofMinutes(2)));
      // Kills, by PID, the callbacks still sleeping when the test ends.
      pg.closeAfterTest(() -> runner.close(Duration.ZERO));
      b.roleListener(new RoleCallbacks(runner));
    }).startAll();

    String old = Faults.awaitSteady(c, WAIT);
    String next = Faults.other(old);
    Await.until(next + "'s on_start recorded", WAIT, () -> lines(record).contains(next + " on_start replica hooks"),
        () -> lines(record).toString());
    assertThat(lines(record)).noneMatch(line -> line.endsWith(" done"));

    c.killMember(old);
    Await.until(next + " serving", WAIT, () -> c.servingPrimary().filter(next::equals).isPresent(), c::describe);
    assertThat(lines(record)).as("no callback finished before the promotion").noneMatch(line -> line.endsWith(" done"));
    Await.until(next + "'s on_role_change recorded", WAIT,
        () -> lines(record).contains(next + " on_role_change primary hooks"), () -> lines(record).toString());
  }

  static List<String> lines(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file) : List.of();
    } catch (IOException e) {
      return List.of();
    }
  }
}

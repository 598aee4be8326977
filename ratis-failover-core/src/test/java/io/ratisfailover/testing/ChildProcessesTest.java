package io.ratisfailover.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Short commands run to completion or are killed at their deadline; long-running ones stop by their PID. */
class ChildProcessesTest {
  @Test
  void aCommandsExitCodeOrMinusOneWhenItCannotRunOrOverruns() {
    assertThat(ChildProcesses.run(List.of("sh", "-c", "exit 3"), null, Duration.ofSeconds(10))).isEqualTo(3);
    assertThat(ChildProcesses.run(List.of("/nonexistent/command"), null, Duration.ofSeconds(10))).isEqualTo(-1);
    assertThat(ChildProcesses.run(List.of("sleep", "30"), null, Duration.ofMillis(200))).isEqualTo(-1);
  }

  @Test
  void aChildThatIgnoresSigtermIsKilledAfterTheGraceAndSoAreItsDescendants() throws Exception {
    Process p = new ProcessBuilder("sh", "-c", "trap '' TERM; sleep 60 & wait").start();
    try {
      Await.until("the shell started its sleep", Duration.ofSeconds(10), () -> p.descendants().findAny().isPresent());
      List<ProcessHandle> started = p.descendants().toList();
      ChildProcesses.stopWithDescendants(p.toHandle(), Duration.ofMillis(200));
      assertThat(p.isAlive()).isFalse();
      assertThat(started).noneMatch(ProcessHandle::isAlive);
    } finally {
      ChildProcesses.killWithDescendants(p.toHandle());
    }
  }
}

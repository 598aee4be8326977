package io.ratisfailover.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Starting and stopping the OS processes of tests, benchmarks and the harness, always by their own
 * PID and always with a deadline: a short command runs to completion or is killed, a long-running
 * child is stopped with SIGTERM and, after a grace period, SIGKILL, and so are the processes it
 * started (a sidecar's postmaster) when asked.
 */
public final class ChildProcesses {
  /** How long a process that was sent SIGKILL is waited for: the kernel reaps it in milliseconds. */
  private static final Duration REAPED = Duration.ofSeconds(10);

  private ChildProcesses() {}

  /**
   * Runs {@code command} (in {@code dir}, when not null) with its output discarded; its exit code,
   * or -1 when it could not start or did not finish within {@code limit} (it is then killed).
   */
  public static int run(List<String> command, Path dir, Duration limit) {
    Process p;
    try {
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
      if (dir != null) {
        pb.directory(dir.toFile());
      }
      p = pb.start();
    } catch (IOException e) {
      return -1;
    }
    try {
      return p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS) ? p.exitValue() : -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    } finally {
      if (p.isAlive()) {
        kill(p.toHandle());
      }
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within {@code grace}; returns once it has exited. */
  public static void stop(ProcessHandle process, Duration grace) {
    process.destroy();
    if (!exited(process, grace)) {
      kill(process);
    }
  }

  /**
   * {@link #stop} of the process, then SIGKILL of whatever it had started that is still alive
   * (listed before the stop, while they are still its descendants).
   */
  public static void stopWithDescendants(ProcessHandle process, Duration grace) {
    List<ProcessHandle> started = process.descendants().toList();
    stop(process, grace);
    started.stream().filter(ProcessHandle::isAlive).forEach(ChildProcesses::kill);
  }

  /** SIGKILL of the process alone (what it started lives on, as after a crash); returns once it is reaped. */
  public static void kill(ProcessHandle process) {
    process.destroyForcibly();
    exited(process, REAPED);
  }

  /** SIGKILL of the process and everything it started: a host that dies. */
  public static void killWithDescendants(ProcessHandle process) {
    List<ProcessHandle> started = process.descendants().toList();
    process.destroyForcibly();
    started.forEach(ProcessHandle::destroyForcibly);
    exited(process, REAPED);
    started.forEach(h -> exited(h, REAPED));
  }

  /** Whether the process exited within {@code patience}. */
  public static boolean exited(ProcessHandle process, Duration patience) {
    try {
      process.onExit().get(patience.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      return !process.isAlive();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return !process.isAlive();
    }
  }
}

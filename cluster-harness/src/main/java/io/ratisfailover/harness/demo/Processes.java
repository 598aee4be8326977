package io.ratisfailover.harness.demo;

import io.ratisfailover.testing.ChildProcesses;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The child processes the demo starts, each logging to its own file, each stopped by its own PID
 * — with every process it started in turn, such as a sidecar's postmaster — when the demo ends,
 * however it ends.
 */
public final class Processes implements AutoCloseable {
  private final Map<String, Process> running = new LinkedHashMap<>();
  private final Path logs;

  public Processes(Path logs) {
    this.logs = logs;
  }

  public synchronized Process start(String name, List<String> command, Map<String, String> env) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logs.resolve(name + ".log").toFile()));
    pb.environment().putAll(env);
    Process p = pb.start();
    running.put(name, p);
    return p;
  }

  public synchronized Optional<Process> get(String name) {
    return Optional.ofNullable(running.get(name));
  }

  /** Drops a process that has exited by itself. */
  public synchronized void forget(String name) {
    running.computeIfPresent(name, (n, p) -> p.isAlive() ? p : null);
  }

  /** kill -9 of the process and everything it started: a host that dies. */
  public synchronized void kill(String name) {
    Process p = running.remove(name);
    if (p != null) {
      ChildProcesses.killWithDescendants(p.toHandle());
    }
  }

  /** kill -9 of the process alone: what it started (a postmaster) lives on, as after an agent crash. */
  public synchronized void killAlone(String name) {
    Process p = running.remove(name);
    if (p != null) {
      ChildProcesses.kill(p.toHandle());
    }
  }

  /** SIGTERM, then kill -9 after {@code grace}; then whatever it left behind. */
  public synchronized void stop(String name, Duration grace) {
    Process p = running.remove(name);
    if (p != null) {
      ChildProcesses.stopWithDescendants(p.toHandle(), grace);
    }
  }

  /** Stops the named processes first, in that order, then the rest. */
  public synchronized void stopInOrder(List<String> first) {
    for (String name : first) {
      stop(name, Duration.ofSeconds(30));
    }
    close();
  }

  @Override
  public synchronized void close() {
    for (String name : new ArrayList<>(running.keySet())) {
      stop(name, Duration.ofSeconds(30));
    }
  }
}

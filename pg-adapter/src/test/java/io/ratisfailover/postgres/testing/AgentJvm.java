package io.ratisfailover.postgres.testing;

import io.ratisfailover.postgres.internal.ProcFs;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link GuardedAgentMain} in a JVM of its own, with its postmaster's and its guard's PIDs. After
 * the test the sandbox kills the JVM and the guard by PID (continuing them first if stopped), then
 * the server.
 */
public final class AgentJvm {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private final Process process;
  private final long postmasterPid;
  private final long guardPid;
  private final AtomicLong lastKeepAlive;

  private AgentJvm(Process process, long postmasterPid, long guardPid, AtomicLong lastKeepAlive) {
    this.process = process;
    this.postmasterPid = postmasterPid;
    this.guardPid = guardPid;
    this.lastKeepAlive = lastKeepAlive;
  }

  /**
   * Starts the agent JVM for the server of {@code dataDirectory} on {@code port} and waits for it to
   * be ready; registered with {@code sandbox} for clean-up before it is started.
   */
  public static AgentJvm start(PgSandbox sandbox, Path dataDirectory, int port, String mode, Duration deadline)
      throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"), GuardedAgentMain.class.getName(), dataDirectory.toString(),
        Integer.toString(port), mode, Long.toString(deadline.toMillis())));
    pb.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process p = pb.start();
    // Killed by PID after the test even if it never gets ready.
    sandbox.closeAfterTest(() -> kill(p.pid()));
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> ready = new CompletableFuture<>();
    AtomicLong lastKeepAlive = new AtomicLong();
    Thread reader = new Thread(() -> {
      try {
        for (String line; (line = out.readLine()) != null; ) {
          if (line.startsWith("READY ")) {
            ready.complete(line);
          } else if (line.startsWith("KEPT ")) {
            lastKeepAlive.set(Long.parseLong(line.substring(5)));
          }
        }
      } catch (IOException e) {
        // the JVM is gone
      }
      ready.complete(null);
    }, "agent-jvm-" + p.pid() + "-stdout");
    reader.setDaemon(true);
    reader.start();
    String line;
    try {
      line = ready.get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IOException("the agent JVM did not get ready: " + e, e);
    }
    if (line == null) {
      throw new IOException("the agent JVM exited before it was ready (exit " + p.waitFor(5, TimeUnit.SECONDS) + ")");
    }
    String[] parts = line.split(" ");
    AgentJvm agent = new AgentJvm(p, Long.parseLong(parts[1]), Long.parseLong(parts[2]), lastKeepAlive);
    if (agent.guardPid != 0) {
      sandbox.closeAfterTest(() -> kill(agent.guardPid));
    }
    return agent;
  }

  public long pid() {
    return process.pid();
  }

  public long postmasterPid() {
    return postmasterPid;
  }

  public long guardPid() {
    return guardPid;
  }

  /** When the agent last kept its guard alive, by {@link System#nanoTime()} (the same clock in every process). */
  public long lastKeepAliveNanos() {
    return lastKeepAlive.get();
  }

  /** kill -9 of the agent JVM alone (not its guard, not its server); returns once it is reaped. */
  public void killHard() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      throw new AssertionError("agent JVM " + process.pid() + " survived kill -9");
    }
  }

  /** SIGSTOP of the agent JVM's PID. */
  public void stop() {
    signal(process.pid(), "STOP");
  }

  private static void kill(long pid) {
    if (ProcFs.alive(pid)) {
      signal(pid, "CONT");
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  private static void signal(long pid, String signal) {
    if (PgSandbox.run(List.of("kill", "-s", signal, Long.toString(pid))) != 0 && ProcFs.alive(pid)) {
      throw new AssertionError("kill -s " + signal + " " + pid + " failed");
    }
  }
}

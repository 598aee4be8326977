package io.ratisfailover.postgres;

import io.ratisfailover.MemberId;
import io.ratisfailover.postgres.internal.ProcFs;
import io.ratisfailover.postgres.internal.ServerLog;
import io.ratisfailover.spi.Watchdog;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Watchdog} that stops the local PostgreSQL server when its agent dies or freezes while
 * primary: a small bash process (the <em>guard</em>) runs next to the postmaster, fed over a pipe.
 * Armed, it sends the postmaster SIGQUIT (immediate shutdown: postmaster and backends exit, the
 * server refuses writes) when the deadline passes without a keep-alive (SIGSTOP, a long GC pause)
 * or when the pipe closes (kill -9, OOM, crash: the kernel closes it as the agent dies). Disarmed,
 * a closed pipe only ends the guard, so a standby outlives its agent.
 *
 * <p>The guard is a child of the agent in a session of its own ({@code setsid}): a SIGSTOP of the
 * agent's PID, or a terminal's job control, does not stop it. If the guard itself dies, the agent
 * starts a new one at once and re-arms it with the deadline it had; if that fails, every call
 * throws until a start succeeds. A guard found stopped (SIGSTOP) at a keep-alive is replaced too.
 * Deadlines are absolute times of {@code /proc/uptime}, which both sides read, so a keep-alive that
 * waited in the pipe does not move the deadline later.
 *
 * <p>Thread safety: all methods may be called from any thread; writes go to a pipe the guard
 * drains at once, so they do not block unless the guard itself is stopped.
 */
public final class PostmasterGuard implements Watchdog {
  private static final Logger log = LoggerFactory.getLogger(PostmasterGuard.class);
  private static final String SCRIPT = "postmaster-guard.sh";
  private static final Path UPTIME = Path.of("/proc/uptime");
  private static final List<String> SETSID = List.of("/usr/bin/setsid", "/bin/setsid");
  private static final Duration EXIT_WAIT = Duration.ofSeconds(2);
  /** Two guards in a row that die sooner after their start are not restarted at once: a broken one cannot spin. */
  private static final Duration RESTART_AFTER = Duration.ofSeconds(1);

  private final MemberId member;
  private final Path dataDirectory;
  private final Path serverLog;
  private final Path script;
  private final byte[] scriptText;
  private final Object lock = new Object();
  private Process guard;
  private long guardStartedAt;
  /** Guards in a row that died within {@link #RESTART_AFTER} of their start. */
  private int quickExits;
  private OutputStream toGuard;
  /** The deadline in centiseconds of uptime while armed; empty while disarmed. */
  private Optional<Long> deadline = Optional.empty();
  private boolean closed;

  private PostmasterGuard(MemberId member, Path dataDirectory, Path serverLog, Path script, byte[] scriptText) {
    this.member = member;
    this.dataDirectory = dataDirectory;
    this.serverLog = serverLog;
    this.script = script;
    this.scriptText = scriptText;
  }

  /**
   * Starts a disarmed guard for {@code config}'s data directory; its messages go to the server log.
   *
   * @throws IOException when bash cannot be started (the one-line message says why)
   */
  public static PostmasterGuard start(MemberId member, PostgresConfig config) throws IOException {
    Objects.requireNonNull(member, "member");
    byte[] text;
    try (InputStream in = PostmasterGuard.class.getResourceAsStream(SCRIPT)) {
      if (in == null) {
        throw new IOException("the postmaster guard script " + SCRIPT + " is missing from the class path");
      }
      text = in.readAllBytes();
    }
    Path script = Files.createTempFile("ratis-failover-postmaster-guard-", ".sh",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    Files.write(script, text);
    PostmasterGuard g = new PostmasterGuard(member, config.dataDirectory(), config.serverLog(), script, text);
    synchronized (g.lock) {
      g.startGuard();
    }
    return g;
  }

  /** The guard's PID, if one runs (for tests and operators). */
  public Optional<Long> pid() {
    synchronized (lock) {
      return guard != null && guard.isAlive() ? Optional.of(guard.pid()) : Optional.empty();
    }
  }

  @Override
  public void arm(Duration remaining) throws IOException {
    setDeadline(remaining);
  }

  @Override
  public void keepAlive(Duration remaining) throws IOException {
    setDeadline(remaining);
  }

  @Override
  public void disarm() throws IOException {
    synchronized (lock) {
      deadline = Optional.empty();
      if (guard != null) {
        send("disarm");
      }
    }
  }

  /** Disarms and ends the guard; the server keeps running. */
  @Override
  public void close() throws IOException {
    Process last;
    synchronized (lock) {
      if (closed) {
        return;
      }
      try {
        disarm();
      } finally {
        closed = true;
        last = guard;
        guard = null;
        closeQuietly(toGuard);
      }
    }
    try {
      if (last != null && !last.waitFor(EXIT_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        last.destroyForcibly();
      }
    } catch (InterruptedException e) {
      last.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      Files.deleteIfExists(script);
    }
  }

  private void setDeadline(Duration remaining) throws IOException {
    // Whole centiseconds, rounded down, less one for the granularity of /proc/uptime: the guard acts
    // at or before the agent's deadline, never after it.
    long at = uptimeCentiseconds() + remaining.toMillis() / 10 - 1;
    synchronized (lock) {
      if (closed) {
        throw new IOException("the postmaster guard of member " + member + " is closed");
      }
      deadline = Optional.of(at);
      if (guard != null && ProcFs.stopped(guard.pid())) {
        // A stopped guard fences nothing, and once the pipe fills it would block this thread.
        log.error("member {}: postmaster guard {} is stopped (SIGSTOP?); replacing it", member, guard.pid());
        guard.destroyForcibly();
        guard = null;
      }
      if (guard == null) {
        startGuard(); // tells the new guard the deadline
      } else {
        send("arm " + at);
      }
    }
  }

  /** Holding the lock: starts a guard and tells it the current deadline, if any. */
  private void startGuard() throws IOException {
    if (!Files.exists(script)) {
      // A temporary directory's cleaner removed it since the last start (a running bash keeps its copy open).
      Files.write(script, scriptText);
    }
    List<String> command = new ArrayList<>();
    SETSID.stream().filter(p -> Files.isExecutable(Path.of(p))).findFirst().ifPresent(command::add);
    command.addAll(List.of("/bin/bash", script.toString(), dataDirectory.toString(), member.value()));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().clear();
    pb.environment().put("PATH", "/usr/bin:/bin");
    pb.redirectErrorStream(true);
    Files.createDirectories(serverLog.getParent());
    ServerLog.createPrivate(serverLog);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(serverLog.toFile()));
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new IOException("cannot start the postmaster guard of member " + member + " (" + String.join(" ", command)
          + "): " + e.getMessage(), e);
    }
    guard = p;
    guardStartedAt = System.nanoTime();
    toGuard = p.getOutputStream();
    p.onExit().thenAccept(this::guardExited);
    if (deadline.isPresent()) {
      send("arm " + deadline.get());
    }
    log.info("member {}: postmaster guard {} watches {}", member, p.pid(), dataDirectory);
  }

  private void guardExited(Process p) {
    synchronized (lock) {
      if (closed || p != guard) {
        return;
      }
      guard = null;
      String state = deadline.isPresent() ? "armed" : "disarmed";
      quickExits = System.nanoTime() - guardStartedAt < RESTART_AFTER.toNanos() ? quickExits + 1 : 0;
      if (quickExits >= 2) {
        // One that cannot even start would be restarted in a tight loop: leave it to the next keep-alive.
        log.error("member {}: postmaster guard {} exited with status {} within {} ms of its start ({}); "
            + "the next keep-alive starts another", member, p.pid(), p.exitValue(), RESTART_AFTER.toMillis(), state);
        return;
      }
      log.error("member {}: postmaster guard {} exited with status {} ({}); starting another", member, p.pid(),
          p.exitValue(), state);
      try {
        startGuard();
      } catch (IOException e) {
        log.error("member {}: {}; the next keep-alive tries again", member, e.getMessage());
      }
    }
  }

  /** Holding the lock: one command line to the guard. */
  private void send(String command) throws IOException {
    try {
      toGuard.write((command + "\n").getBytes(StandardCharsets.US_ASCII));
      toGuard.flush();
    } catch (IOException e) {
      throw new IOException("cannot reach the postmaster guard of member " + member + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "postmaster guard of " + dataDirectory;
  }

  private static long uptimeCentiseconds() throws IOException {
    String text = Files.readString(UPTIME, StandardCharsets.US_ASCII);
    String seconds = text.substring(0, text.indexOf(' '));
    int dot = seconds.indexOf('.');
    if (dot < 0 || seconds.length() - dot != 3) {
      throw new IOException("unexpected " + UPTIME + " content: " + text.strip());
    }
    return Long.parseLong(seconds.substring(0, dot)) * 100 + Long.parseLong(seconds.substring(dot + 1));
  }

  private static void closeQuietly(OutputStream out) {
    try {
      if (out != null) {
        out.close();
      }
    } catch (IOException e) {
      // The guard is gone already: nothing to tell it.
    }
  }
}

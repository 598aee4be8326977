package io.ratisfailover.postgres.internal;

import io.ratisfailover.spi.DatabaseException;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;

/**
 * The server process of one data directory: starts the postmaster as a child of this JVM (so its
 * exit is noticed at once), finds one that runs already (an agent restarted under a running server)
 * through {@code postmaster.pid}, signals it, and kills a whole server, orphaned backends included.
 *
 * <p>Fencing and starting race: a fence may run while another thread is about to start the server.
 * Every start names the fence generation it was decided under, and {@link #beginFence()} moves the
 * generation on under the same lock that starts take, so a start decided before a fence fails
 * instead of undoing it.
 */
public final class Postmaster {
  private static final long POLL_NANOS = Duration.ofMillis(5).toNanos();
  private static final List<String> KILL_PATHS = List.of("/bin/kill", "/usr/bin/kill");

  private final Path dataDirectory;
  private final Path logFile;
  private final LongConsumer exited;
  private final Set<Long> watched = ConcurrentHashMap.newKeySet();
  private final Object lock = new Object();
  private long generation;
  /** The process the last start launched (the server, or the command that runs it as its OS user). */
  private ProcessHandle launched;

  /** Signals PostgreSQL's postmaster understands. */
  public enum Signal {
    /** Reload the configuration files. */
    HUP,
    /** Fast shutdown: end all sessions, write a shutdown checkpoint, let standbys receive it. */
    INT,
    /** Immediate shutdown: stop without a checkpoint, as a crash would. */
    QUIT
  }

  /**
   * A live postmaster for this data directory.
   *
   * @param status the status line of {@code postmaster.pid}: starting, stopping, ready, standby
   * @param startedAtEpochSecond when it started, by the wall clock, as {@code postmaster.pid} says
   */
  public record Running(long pid, String status, long startedAtEpochSecond) {
    public boolean acceptsConnections() {
      return status.equals("ready") || status.equals("standby");
    }
  }

  /**
   * @param exited told the PID of every watched postmaster that exits, on an arbitrary thread
   */
  public Postmaster(Path dataDirectory, Path logFile, LongConsumer exited) {
    this.dataDirectory = dataDirectory;
    this.logFile = logFile;
    this.exited = exited;
  }

  /** The postmaster holding the data directory, if one lives (a doomed one, killed but frozen, does not count). */
  public Optional<Running> running() {
    Optional<PidFile> pid = PidFile.read(dataDirectory);
    if (pid.isEmpty() || !isOurs(pid.get().pid()) || ProcFs.doomed(pid.get().pid())) {
      return Optional.empty();
    }
    watch(pid.get().pid());
    return Optional.of(new Running(pid.get().pid(), pid.get().status(), pid.get().startedAtEpochSecond()));
  }

  /** Processes of this data directory that exist but were killed and cannot exit yet (frozen). */
  public List<Long> doomedProcesses() {
    return ProcFs.processesIn(dataDirectory).stream().filter(ProcFs::doomed).toList();
  }

  /** Live server processes of this data directory (postmaster and any backends, orphans included). */
  public List<Long> liveProcesses() {
    return ProcFs.processesIn(dataDirectory).stream().filter(p -> !ProcFs.doomed(p)).toList();
  }

  /** The generation starts must name; moves on at every fence. */
  public long generation() {
    synchronized (lock) {
      return generation;
    }
  }

  /** Starts a fence: from now on, starts decided earlier are refused. */
  public long beginFence() {
    synchronized (lock) {
      return ++generation;
    }
  }

  /**
   * Starts the postmaster unless a fence began since {@code decidedAt}.
   *
   * @param command {@code postgres -D <data directory>}, wrapped for the server's OS user
   * @return the position in the log file where this start's output begins
   */
  public long start(long decidedAt, List<String> command) throws DatabaseException {
    synchronized (lock) {
      if (generation != decidedAt) {
        throw new DatabaseException(DatabaseException.Kind.TRANSIENT,
            "the database was fenced while this operation ran; not starting it");
      }
      long logStart;
      try {
        Files.createDirectories(logFile.getParent());
        logStart = ServerLog.createPrivate(logFile);
      } catch (IOException e) {
        throw new DatabaseException(DatabaseException.Kind.MISCONFIGURED, "cannot write the server log "
            + logFile + ": " + e.getMessage(), e);
      }
      ProcessBuilder pb = new ProcessBuilder(command);
      ToolRunner.cleanEnvironment(pb.environment());
      pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      pb.redirectErrorStream(true);
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
      Process p;
      try {
        p = pb.start();
      } catch (IOException e) {
        throw new DatabaseException(DatabaseException.Kind.MISCONFIGURED, "cannot start " + command + ": "
            + e.getMessage(), e);
      }
      watch(p.toHandle());
      launched = p.toHandle();
      return logStart;
    }
  }

  /**
   * Whether the process the last {@link #start} launched has exited: a server that failed during
   * start-up (its port taken, a bad setting) or was killed right away (a watchdog whose deadline
   * had passed) removes its PID file as it goes, so only its exit tells that it is gone.
   */
  public boolean launchedExited() {
    ProcessHandle h;
    synchronized (lock) {
      h = launched;
    }
    return h != null && !h.isAlive();
  }

  /** The server's log from {@code from} on, its last lines, for an error message. */
  public String logTail(long from) {
    try (RandomAccessFile f = new RandomAccessFile(logFile.toFile(), "r")) {
      long start = Math.max(from, f.length() - 4096);
      byte[] buf = new byte[(int) (f.length() - start)];
      f.seek(start);
      f.readFully(buf);
      String[] lines = new String(buf, StandardCharsets.UTF_8).strip().split("\n");
      return String.join(" | ", java.util.Arrays.asList(lines).subList(Math.max(0, lines.length - 5), lines.length));
    } catch (IOException e) {
      return "(no server log at " + logFile + ")";
    }
  }

  public Path logFile() {
    return logFile;
  }

  /** Sends {@code signal} to the postmaster {@code pid}. */
  public void signal(long pid, Signal signal) throws DatabaseException {
    String kill = KILL_PATHS.stream().filter(p -> Files.isExecutable(Path.of(p))).findFirst().orElse("kill");
    try {
      ToolRunner.output(List.of(kill, "-s", signal.name(), Long.toString(pid)), Duration.ofSeconds(5));
    } catch (IOException e) {
      if (ProcFs.alive(pid)) {
        throw new DatabaseException(DatabaseException.Kind.FATAL, "cannot send SIG" + signal + " to the postmaster "
            + pid + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * SIGKILL to the postmaster and every process of this data directory. The postmaster goes first
   * so that it cannot fork again; its children are listed before it dies, since an orphan is no
   * longer its descendant (the working-directory scan finds those too).
   */
  public void killAll() {
    Set<Long> targets = new LinkedHashSet<>();
    Optional<PidFile> pid = PidFile.read(dataDirectory);
    pid.filter(p -> isOurs(p.pid())).ifPresent(p -> {
      targets.add(p.pid());
      ProcessHandle.of(p.pid()).ifPresent(h -> h.descendants().forEach(d -> targets.add(d.pid())));
    });
    targets.addAll(ProcFs.processesIn(dataDirectory));
    List<Long> order = new ArrayList<>(targets);
    for (long t : order) {
      ProcessHandle.of(t).ifPresent(ProcessHandle::destroyForcibly);
    }
    // Anything forked in between: one more pass.
    for (long t : ProcFs.processesIn(dataDirectory)) {
      ProcessHandle.of(t).ifPresent(ProcessHandle::destroyForcibly);
    }
  }

  /** Waits until {@code pid} has exited (and been reaped); false at the deadline. */
  public boolean awaitExit(long pid, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (ProcFs.alive(pid)) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
    return true;
  }

  /**
   * Waits until no process of this data directory can run again: all gone, or killed and frozen.
   *
   * @return the processes still alive at the deadline
   */
  public List<Long> awaitNoLiveProcesses(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<Long> live = liveProcesses();
      if (live.isEmpty() || System.nanoTime() - deadline > 0) {
        return live;
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }

  /**
   * Waits until no process of this data directory lives any more, then removes a
   * {@code postmaster.pid} left behind: PostgreSQL (and {@code pg_rewind}'s recovery) refuse a data
   * directory while the PID in that file exists, and a killed postmaster's PID can linger as a
   * zombie or be recycled by an unrelated process.
   *
   * @return false if server processes still live at the deadline
   */
  public boolean awaitAllGone(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<PidFile> pid = PidFile.read(dataDirectory);
      boolean postmasterGone = pid.isEmpty() || !isOurs(pid.get().pid());
      if (postmasterGone && ProcFs.processesIn(dataDirectory).isEmpty()) {
        if (pid.isPresent()) {
          Files.deleteIfExists(dataDirectory.resolve(PidFile.FILE));
        }
        return true;
      }
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }

  /** Whether {@code pid} is a live process working in this data directory (not a recycled PID). */
  private boolean isOurs(long pid) {
    if (!ProcFs.alive(pid)) {
      return false;
    }
    Optional<Path> cwd = ProcFs.cwd(pid);
    try {
      return cwd.isPresent() && cwd.get().equals(dataDirectory.toRealPath());
    } catch (IOException e) {
      return false;
    }
  }

  private void watch(long pid) {
    if (!watched.contains(pid)) {
      ProcessHandle.of(pid).ifPresent(this::watch);
    }
  }

  private void watch(ProcessHandle h) {
    if (watched.add(h.pid())) {
      h.onExit().whenComplete((x, e) -> {
        watched.remove(h.pid());
        exited.accept(h.pid());
      });
    }
  }
}

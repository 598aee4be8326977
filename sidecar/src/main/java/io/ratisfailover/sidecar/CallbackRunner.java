package io.ratisfailover.sidecar;

import io.ratisfailover.MemberId;
import io.ratisfailover.node.config.Callbacks;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the configured callbacks one at a time, in the order they were fired, on a thread of its own:
 * {@link #fire} only queues, so the agent that fires a callback on a role change never waits for
 * it. Each command gets the action, the role and the cluster's name as its last three arguments;
 * its output is logged line by line; it is killed (with the processes it started) when it runs
 * longer than the timeout, or when a newer callback is fired, because what it was told is then
 * out of date (Patroni's rule). A failing callback is logged and changes nothing else.
 */
final class CallbackRunner implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CallbackRunner.class);
  private static final int QUEUE = 64;
  private static final int OUTPUT_LINES = 200;
  private static final Duration REAP = Duration.ofSeconds(5);

  /** How a callback ended. */
  enum Outcome { NOT_CONFIGURED, NOT_STARTED, EXITED, TIMED_OUT, SUPERSEDED, DROPPED, STOPPED }

  /** @param exitCode present when the command exited on its own */
  record Result(Callbacks.Action action, String role, Outcome outcome, OptionalInt exitCode) {}

  private final MemberId member;
  private final String cluster;
  private final Callbacks callbacks;
  private final ThreadPoolExecutor executor;
  private final Object lock = new Object();
  private Process running;
  private boolean superseded;
  /** Set once close gave up waiting: a callback still queued then starts nothing, so nothing outlives the runner. */
  private boolean closed;

  CallbackRunner(MemberId member, String cluster, Callbacks callbacks) {
    this.member = member;
    this.cluster = cluster;
    this.callbacks = callbacks;
    this.executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
      Thread t = new Thread(r, "callbacks-" + member);
      t.setDaemon(true);
      return t;
    });
  }

  /** Queues {@code action}'s command, if one is configured, and returns at once. */
  CompletableFuture<Result> fire(Callbacks.Action action, String role) {
    List<String> command = callbacks.command(action).orElse(null);
    if (command == null) {
      return CompletableFuture.completedFuture(new Result(action, role, Outcome.NOT_CONFIGURED, OptionalInt.empty()));
    }
    killRunning();
    CompletableFuture<Result> result = new CompletableFuture<>();
    try {
      executor.execute(() -> result.complete(run(action, role, command)));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      log.warn("member {}: callback {} {} not run: {} callbacks are already waiting, or the member is stopping",
          member, action.key(), role, QUEUE);
      result.complete(new Result(action, role, Outcome.DROPPED, OptionalInt.empty()));
    }
    return result;
  }

  private void stopStarting() {
    synchronized (lock) {
      closed = true;
    }
  }

  private void killRunning() {
    synchronized (lock) {
      if (running != null && running.isAlive()) {
        superseded = true;
        killTree(running);
      }
    }
  }

  private Result run(Callbacks.Action action, String role, List<String> command) {
    List<String> argv = new ArrayList<>(command);
    argv.addAll(List.of(action.key(), role, cluster));
    String name = action.key() + " " + role;
    Process p;
    synchronized (lock) {
      if (closed) {
        log.info("member {}: callback {} not run: the member is stopping", member, name);
        return new Result(action, role, Outcome.DROPPED, OptionalInt.empty());
      }
      try {
        p = new ProcessBuilder(argv).redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
      } catch (IOException e) {
        log.warn("member {}: callback {} could not start {}: {}", member, name, command.get(0), e.getMessage());
        return new Result(action, role, Outcome.NOT_STARTED, OptionalInt.empty());
      }
      running = p;
      superseded = false;
    }
    log.info("member {}: callback {} started: {} (pid {})", member, name, String.join(" ", argv), p.pid());
    Thread output = logOutput(p, name);
    try {
      boolean exited = p.waitFor(callbacks.timeout().toMillis(), TimeUnit.MILLISECONDS);
      if (!exited) {
        killTree(p);
        log.warn("member {}: callback {} ran longer than {} and was killed (pid {})", member, name,
            callbacks.timeout(), p.pid());
      }
      p.waitFor(REAP.toMillis(), TimeUnit.MILLISECONDS);
      output.join(REAP.toMillis());
      synchronized (lock) {
        running = null;
        if (superseded) {
          log.info("member {}: callback {} was killed: a newer callback was fired", member, name);
          return new Result(action, role, Outcome.SUPERSEDED, OptionalInt.empty());
        }
      }
      if (!exited) {
        return new Result(action, role, Outcome.TIMED_OUT, OptionalInt.empty());
      }
      int code = p.exitValue();
      if (code == 0) {
        log.info("member {}: callback {} finished", member, name);
      } else {
        log.warn("member {}: callback {} exited with status {}", member, name, code);
      }
      return new Result(action, role, Outcome.EXITED, OptionalInt.of(code));
    } catch (InterruptedException e) {
      // Closing: the member stops, and with it its callbacks.
      killTree(p);
      Thread.currentThread().interrupt();
      return new Result(action, role, Outcome.STOPPED, OptionalInt.empty());
    }
  }

  /** The command and everything it started, by PID: a shell script's {@code sleep} would outlive its shell. */
  private static void killTree(Process p) {
    List<ProcessHandle> children = p.descendants().toList();
    p.destroyForcibly();
    children.forEach(ProcessHandle::destroyForcibly);
  }

  private Thread logOutput(Process p, String name) {
    Thread t = new Thread(() -> {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        int lines = 0;
        for (String line; (line = out.readLine()) != null; ) {
          if (++lines <= OUTPUT_LINES) {
            log.info("member {}: callback {}: {}", member, name, line);
          } else if (lines == OUTPUT_LINES + 1) {
            log.info("member {}: callback {}: more output not logged", member, name);
          }
        }
      } catch (IOException e) {
        log.debug("member {}: callback {}: output closed: {}", member, name, e.getMessage());
      }
    }, "callback-output-" + member);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * Runs what is queued (the {@code on_stop} callback, when stopping) for at most {@code wait}, then
   * kills whatever still runs.
   */
  void close(Duration wait) {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("member {}: callbacks still running after {}: killed", member, wait);
        stopStarting();
        killRunning();
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      stopStarting();
      killRunning();
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /** Waits for queued callbacks for up to their timeout and a margin, then kills what still runs. */
  @Override
  public void close() {
    close(callbacks.timeout().plus(REAP));
  }
}

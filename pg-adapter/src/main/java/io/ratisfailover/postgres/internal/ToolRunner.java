package io.ratisfailover.postgres.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Runs a PostgreSQL tool to completion with a deadline, as the server's OS user, with a clean
 * scrubbed environment ({@code PATH}, {@code TZ}, {@code LC_ALL=C} so that its output can be
 * parsed, and only the variables the caller adds) and with its output captured. A tool that outlives its deadline is killed with its
 * children.
 */
public final class ToolRunner {
  /** How much of a tool's output is kept: enough for any message, bounded for a chatty tool. */
  private static final int MAX_OUTPUT = 256 * 1024;
  /** The only variables PostgreSQL programs inherit from the agent. */
  private static final Set<String> KEPT_VARIABLES = Set.of("PATH", "TZ");

  private final OsAccount account;

  public ToolRunner(OsAccount account) {
    this.account = account;
  }

  /** What a tool did. */
  public record Result(List<String> command, int exitCode, String stdout, String stderr, boolean timedOut) {
    public boolean ok() {
      return exitCode == 0 && !timedOut;
    }

    /** The tool's own error message, trimmed to its last lines, for error reports. */
    public String message() {
      String text = (stderr.isBlank() ? stdout : stderr).strip();
      String[] lines = text.split("\n");
      int from = Math.max(0, lines.length - 6);
      StringBuilder b = new StringBuilder();
      for (int i = from; i < lines.length; i++) {
        if (b.length() > 0) {
          b.append(" | ");
        }
        b.append(lines[i].strip());
      }
      if (timedOut) {
        return "timed out" + (b.length() > 0 ? ": " + b : "");
      }
      return b.length() == 0 ? "exit code " + exitCode : b.toString();
    }

    /** The program's name, for messages. */
    public String program() {
      return Path.of(command.get(0)).getFileName().toString();
    }
  }

  /**
   * Runs {@code command} (a program and its arguments, not wrapped for the OS user yet).
   *
   * @param env extra environment variables, for example {@code PGPASSWORD}; never logged
   * @throws IOException when the program cannot be started at all
   */
  public Result run(List<String> command, Map<String, String> env, Duration timeout) throws IOException {
    return execute(List.copyOf(command), account.wrap(command), env, timeout);
  }

  private static Result execute(List<String> command, List<String> full, Map<String, String> env, Duration timeout)
      throws IOException {
    ProcessBuilder pb = new ProcessBuilder(full);
    cleanEnvironment(pb.environment());
    pb.environment().putAll(env);
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process p = pb.start();
    Drain out = new Drain(p.getInputStream(), "stdout of " + command.get(0));
    Drain err = new Drain(p.getErrorStream(), "stderr of " + command.get(0));
    out.start();
    err.start();
    boolean finished;
    try {
      finished = p.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      kill(p);
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command.get(0), e);
    }
    if (!finished) {
      kill(p);
    }
    out.awaitEnd();
    err.awaitEnd();
    return new Result(command, finished ? p.exitValue() : -1, out.text(), err.text(), !finished);
  }

  /**
   * The environment every PostgreSQL program gets: {@code PATH} and {@code TZ} from the agent,
   * parseable messages, and nothing else. The agent's environment holds secrets (the API password,
   * whatever its service manager passes), and the postmaster hands its environment to every
   * backend, where a database superuser can read it ({@code COPY ... FROM PROGRAM 'env'}); no
   * inherited {@code PG*} variable may redirect a tool either. Callers add what a tool needs, such
   * as {@code PGPASSWORD}.
   */
  public static void cleanEnvironment(Map<String, String> env) {
    env.keySet().retainAll(KEPT_VARIABLES);
    env.putIfAbsent("PATH", "/usr/local/bin:/usr/bin:/bin");
    env.put("LC_ALL", "C");
    env.put("LANG", "C");
  }

  private static void kill(Process p) {
    List<ProcessHandle> all = new ArrayList<>();
    p.descendants().forEach(all::add);
    p.destroyForcibly();
    all.forEach(ProcessHandle::destroyForcibly);
    try {
      p.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Reads one output stream on its own thread, keeping the last {@link #MAX_OUTPUT} bytes. */
  private static final class Drain extends Thread {
    private final InputStream in;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();

    Drain(InputStream in, String name) {
      super(name);
      setDaemon(true);
      this.in = Objects.requireNonNull(in);
    }

    @Override
    public void run() {
      byte[] buf = new byte[8192];
      try (InputStream s = in) {
        int n;
        while ((n = s.read(buf)) >= 0) {
          synchronized (kept) {
            if (kept.size() + n > MAX_OUTPUT) {
              byte[] all = kept.toByteArray();
              kept.reset();
              int keep = Math.max(0, MAX_OUTPUT / 2 - n);
              kept.write(all, all.length - Math.min(all.length, keep), Math.min(all.length, keep));
            }
            kept.write(buf, 0, n);
          }
        }
      } catch (IOException e) {
        // the process was killed; what was read so far is kept
      }
    }

    void awaitEnd() {
      try {
        join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    String text() {
      synchronized (kept) {
        return kept.toString(StandardCharsets.UTF_8);
      }
    }
  }

  /** Runs a program, as this process's own user, that must succeed quickly: lookups such as {@code id} and {@code pg_config}. */
  static String output(List<String> command, Duration timeout) throws IOException {
    Result r = execute(List.copyOf(command), List.copyOf(command), Map.of(), timeout);
    if (!r.ok()) {
      throw new IOException(String.join(" ", command) + " failed: " + r.message());
    }
    return r.stdout().strip();
  }
}

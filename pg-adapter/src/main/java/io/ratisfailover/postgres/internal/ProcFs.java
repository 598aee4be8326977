package io.ratisfailover.postgres.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What Linux's {@code /proc} says about processes. {@link ProcessHandle} is not enough: it counts a
 * zombie as alive (so does {@code kill(pid, 0)}, which makes PostgreSQL refuse a data directory), it
 * cannot tell a process that will die the moment it runs again (a SIGKILL pending on a frozen
 * task), and it cannot find a server's orphaned backends once their postmaster is gone.
 */
public final class ProcFs {
  private static final Path PROC = Path.of("/proc");
  private static final long SIGKILL_BIT = 1L << (9 - 1);

  private ProcFs() {}

  /** The process exists and is not a zombie. */
  public static boolean alive(long pid) {
    return state(pid).filter(state -> state != 'Z' && state != 'X' && state != 'x').isPresent();
  }

  /** The process exists and is stopped (SIGSTOP, or a tracer's stop): it runs no code until continued. */
  public static boolean stopped(long pid) {
    return state(pid).filter(state -> state == 'T' || state == 't').isPresent();
  }

  /** The one-letter state of {@code /proc/<pid>/stat}, if the process exists. */
  private static Optional<Character> state(long pid) {
    Optional<String> stat = read(PROC.resolve(Long.toString(pid)).resolve("stat"));
    if (stat.isEmpty()) {
      return Optional.empty();
    }
    String s = stat.get();
    int close = s.lastIndexOf(')');
    if (close < 0 || close + 2 >= s.length()) {
      return Optional.empty();
    }
    return Optional.of(s.charAt(close + 2));
  }

  /** Not even a zombie is left: the PID is free, so nothing can mistake it for a running server. */
  public static boolean gone(long pid) {
    return !Files.exists(PROC.resolve(Long.toString(pid)));
  }

  /**
   * A SIGKILL is pending: the process will never execute another instruction of its own. A task
   * frozen by the cgroup freezer stays in this state until it is thawed, then dies.
   */
  public static boolean doomed(long pid) {
    Optional<String> status = read(PROC.resolve(Long.toString(pid)).resolve("status"));
    if (status.isEmpty()) {
      return false;
    }
    for (String line : status.get().split("\n")) {
      if (line.startsWith("SigPnd:") || line.startsWith("ShdPnd:")) {
        try {
          long mask = Long.parseUnsignedLong(line.substring(7).trim(), 16);
          if ((mask & SIGKILL_BIT) != 0) {
            return true;
          }
        } catch (NumberFormatException e) {
          return false;
        }
      }
    }
    return false;
  }

  /** The process's working directory, when it can be read. */
  public static Optional<Path> cwd(long pid) {
    try {
      return Optional.of(Files.readSymbolicLink(PROC.resolve(Long.toString(pid)).resolve("cwd")));
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return Optional.empty();
    }
  }

  /**
   * Every live process whose working directory is {@code dataDirectory}: a PostgreSQL server's
   * postmaster and all its children change into the data directory, orphans included.
   */
  public static List<Long> processesIn(Path dataDirectory) {
    Path real;
    try {
      real = dataDirectory.toRealPath();
    } catch (IOException e) {
      return List.of();
    }
    List<Long> found = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC)) {
      for (Path dir : dirs) {
        String name = dir.getFileName().toString();
        if (name.isEmpty() || !Character.isDigit(name.charAt(0))) {
          continue;
        }
        long pid;
        try {
          pid = Long.parseLong(name);
        } catch (NumberFormatException e) {
          continue;
        }
        if (pid == ProcessHandle.current().pid()) {
          continue;
        }
        Optional<Path> cwd = cwd(pid);
        if (cwd.isPresent() && cwd.get().equals(real) && alive(pid)) {
          found.add(pid);
        }
      }
    } catch (IOException e) {
      return found;
    }
    return found;
  }

  private static Optional<String> read(Path file) {
    try {
      return Optional.of(Files.readString(file, StandardCharsets.ISO_8859_1));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}

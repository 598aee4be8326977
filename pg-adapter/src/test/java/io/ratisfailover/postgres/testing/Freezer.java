package io.ratisfailover.postgres.testing;

import io.ratisfailover.postgres.internal.ProcFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Freezes a whole PostgreSQL server with the cgroup (v1) freezer: SIGSTOP of the postmaster alone
 * does not freeze a server, since each backend keeps serving its connection. Every process working
 * in the data directory moves into a new freezer cgroup, which is then frozen; children forked
 * later would join it too. Closing thaws the processes and removes the cgroup.
 */
public final class Freezer implements AutoCloseable {
  private static final Path ROOT = Path.of("/sys/fs/cgroup/freezer");

  private final Path group;
  private boolean closed;

  private Freezer(Path group) {
    this.group = group;
  }

  /** Whether this host offers the v1 freezer the tests use. */
  public static boolean available() {
    return Files.isWritable(ROOT);
  }

  static Freezer freeze(Path dataDirectory) throws IOException {
    if (!available()) {
      throw new IOException("no writable cgroup v1 freezer at " + ROOT);
    }
    Path group = ROOT.resolve("rf-test-" + UUID.randomUUID().toString().substring(0, 8));
    Files.createDirectory(group);
    Freezer f = new Freezer(group);
    try {
      List<Long> pids = ProcFs.processesIn(dataDirectory);
      if (pids.isEmpty()) {
        throw new IOException("no server process works in " + dataDirectory);
      }
      for (long pid : pids) {
        Files.writeString(group.resolve("cgroup.procs"), Long.toString(pid));
      }
      Files.writeString(group.resolve("freezer.state"), "FROZEN");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!Files.readString(group.resolve("freezer.state")).strip().equals("FROZEN")) {
        if (System.nanoTime() > deadline) {
          throw new IOException("cgroup " + group + " did not freeze");
        }
        LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
      }
      return f;
    } catch (IOException | RuntimeException e) {
      f.close();
      throw e;
    }
  }

  public void thaw() {
    try {
      if (Files.exists(group)) {
        Files.writeString(group.resolve("freezer.state"), "THAWED");
      }
    } catch (IOException e) {
      System.err.println("test cleanup: cannot thaw " + group + ": " + e);
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    thaw();
    // The cgroup can be removed once empty; its processes move back to the parent group.
    try {
      if (Files.exists(group)) {
        for (String pid : Files.readString(group.resolve("cgroup.procs")).split("\n")) {
          if (!pid.isBlank()) {
            try {
              Files.writeString(ROOT.resolve("cgroup.procs"), pid.strip());
            } catch (IOException e) {
              // the process exited meanwhile
            }
          }
        }
        Files.delete(group);
      }
    } catch (IOException e) {
      System.err.println("test cleanup: cannot remove " + group + ": " + e);
    }
  }
}

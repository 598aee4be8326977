package io.ratisfailover.postgres.testing;

import io.ratisfailover.Epoch;
import io.ratisfailover.MemberId;
import io.ratisfailover.postgres.PostgresAdapter;
import io.ratisfailover.postgres.PostgresConfig;
import io.ratisfailover.postgres.internal.PidFile;
import io.ratisfailover.postgres.internal.ProcFs;
import io.ratisfailover.spi.DatabaseException;
import io.ratisfailover.spi.PrimaryTopology;
import io.ratisfailover.testing.ChildProcesses;
import io.ratisfailover.testing.Ports;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Real PostgreSQL servers for tests, and the guarantee that none outlives its test. Register it
 * as a static {@code @RegisterExtension} field: it makes one bootstrapped data directory per test
 * class to copy from (initdb costs about a second, a copy a twentieth), and after every test —
 * passed or failed — it closes the adapters it made, thaws what it froze, kills every process of
 * every data directory it handed out by PID, unmounts what it mounted and deletes its files.
 *
 * <p>The servers run as the {@code postgres} OS user when the tests run as root.
 */
public final class PgSandbox implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
  /** The template's own member id; copies are adopted by whichever member starts them. */
  public static final MemberId TEMPLATE_MEMBER = MemberId.of("template");
  public static final String SUPERUSER_PASSWORD = "super secret 'pw'";
  public static final String REPLICATION_PASSWORD = "repl \"pw\" 2";

  private Path classRoot;
  private Path template;
  private Path testRoot;
  private final List<Path> dataDirectories = new ArrayList<>();
  private final List<PostgresAdapter> adapters = new ArrayList<>();
  private final List<Freezer> freezers = new ArrayList<>();
  private final List<Path> mounts = new ArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    open();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  @Override
  public void beforeEach(ExtensionContext context) throws IOException {
    beginTest();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    endTest();
  }

  /** Makes the sandbox's root directory; outside JUnit, call it first (then {@link #beginTest()}). */
  public void open() throws IOException {
    classRoot = sharedDirectory(Path.of("/tmp"), "rf-pg-" + UUID.randomUUID().toString().substring(0, 8));
  }

  /** Kills the template's processes, if any, and deletes everything; call it in a finally block. */
  public void close() {
    if (template != null) {
      killProcessesOf(template);
    }
    deleteQuietly(classRoot);
  }

  public void beginTest() throws IOException {
    testRoot = sharedDirectory(classRoot, "t-" + UUID.randomUUID().toString().substring(0, 8));
  }

  /** Stops everything started since {@link #beginTest()} and deletes its files. */
  public void endTest() {
    cleanUp();
    deleteQuietly(testRoot);
  }

  /** Stops everything this sandbox started in the current test, in the order that cannot leave a process behind. */
  public synchronized void cleanUp() {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        System.err.println("test cleanup: closing " + closeables.get(i) + " failed: " + e);
      }
    }
    closeables.clear();
    for (PostgresAdapter a : adapters) {
      a.close();
    }
    adapters.clear();
    // A frozen task cannot die: thaw first, then kill.
    for (Freezer f : freezers) {
      f.close();
    }
    freezers.clear();
    for (Path dir : dataDirectories) {
      killProcessesOf(dir);
    }
    dataDirectories.clear();
    for (Path m : mounts) {
      run(List.of("umount", "-l", m.toString()));
    }
    mounts.clear();
  }

  // --- what tests use ---------------------------------------------------------------------------

  /** A fresh path for a data directory (not created); its servers are killed after the test. */
  public synchronized Path dataDirectory(String name) {
    Path dir = testRoot.resolve(name);
    dataDirectories.add(dir);
    return dir;
  }

  /** A configuration for a server in {@code dataDirectory} on a free loopback port. */
  public PostgresConfig.Builder config(Path dataDirectory) {
    return config(dataDirectory, Ports.free(1)[0]);
  }

  /** The configuration {@link #config(Path)} makes, on a given port: what a child JVM rebuilds. */
  public static PostgresConfig.Builder config(Path dataDirectory, int port) {
    PostgresConfig.Builder b = PostgresConfig.builder().dataDirectory(dataDirectory).listenHost("127.0.0.1")
        .port(port).superuser("postgres", SUPERUSER_PASSWORD).replication("replicator", REPLICATION_PASSWORD)
        .statusTimeout(Duration.ofMillis(700)).connectTimeout(Duration.ofSeconds(2)).stopTimeout(Duration.ofSeconds(5))
        .startTimeout(Duration.ofSeconds(30)).promoteTimeout(Duration.ofSeconds(20))
        .provisionTimeout(Duration.ofMinutes(2))
        .serverParameter("shared_buffers", "16MB").serverParameter("max_connections", "30")
        .serverParameter("wal_keep_size", "64MB").serverParameter("fsync", "on");
    osUser().ifPresent(b::osUser);
    return b;
  }

  /** An adapter for {@code member}, closed after the test. */
  public synchronized PostgresAdapter adapter(String member, PostgresConfig config) {
    PostgresAdapter a = PostgresAdapter.create(MemberId.of(member), config);
    adapters.add(a);
    return a;
  }

  /** Registers something to close after the test, before any process is killed. */
  public synchronized <T extends AutoCloseable> T closeAfterTest(T closeable) {
    closeables.add(closeable);
    return closeable;
  }

  /**
   * A new data directory holding a copy of a freshly bootstrapped, cleanly stopped primary (one per
   * test class): start it with {@code startPrimary} to get a primary in a few hundred milliseconds.
   */
  public Path copyOfTemplate(String name) throws IOException {
    Path source = template();
    Path target = dataDirectory(name);
    runOrFail(List.of("cp", "-a", source.toString(), target.toString()));
    Files.deleteIfExists(target.resolve("ratis-failover.state"));
    return target;
  }

  /** A topology for epoch 1 with the given standbys and no synchronous ones. */
  public static PrimaryTopology topology(long epoch, String... standbys) {
    return new PrimaryTopology(Epoch.of(epoch), members(standbys), Set.of(), false);
  }

  public static Set<MemberId> members(String... ids) {
    Set<MemberId> s = new java.util.TreeSet<>();
    for (String id : ids) {
      s.add(MemberId.of(id));
    }
    return Set.copyOf(s);
  }

  /** Freezes every process of {@code dataDirectory} with the cgroup freezer; thawed after the test. */
  public synchronized Freezer freeze(Path dataDirectory) throws IOException {
    Freezer f = Freezer.freeze(dataDirectory);
    freezers.add(f);
    return f;
  }

  /** A small tmpfs at a new directory, unmounted after the test. */
  public synchronized Path smallFileSystem(String name, String size) throws IOException {
    Path dir = sharedDirectory(testRoot, name);
    runOrFail(List.of("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0755", "tmpfs", dir.toString()));
    mounts.add(dir);
    chownToServerUser(dir);
    return dir;
  }

  /** The postmaster PID of {@code dataDirectory}, if one runs. */
  public static Optional<Long> postmasterPid(Path dataDirectory) {
    return PidFile.read(dataDirectory).map(PidFile::pid).filter(ProcFs::alive);
  }

  /** kill -9 of the postmaster only, as a crash would; returns once it is reaped. */
  public static void killPostmaster(Path dataDirectory) {
    long pid = postmasterPid(dataDirectory).orElseThrow(() -> new AssertionError("no postmaster runs in " + dataDirectory));
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (ProcFs.alive(pid)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("postmaster " + pid + " survived kill -9");
      }
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  /** The OS user servers run as: postgres when the tests run as root, else the tests' own user. */
  public static Optional<String> osUser() {
    try {
      int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
      return uid == 0 ? Optional.of("postgres") : Optional.empty();
    } catch (IOException | UnsupportedOperationException e) {
      return Optional.empty();
    }
  }

  // --- internals ----------------------------------------------------------------------------------

  private synchronized Path template() throws IOException {
    if (template != null) {
      return template;
    }
    Path dir = classRoot.resolve("template");
    PostgresAdapter a = PostgresAdapter.create(TEMPLATE_MEMBER, config(dir).build());
    try {
      a.bootstrap(topology(1));
      a.fence(io.ratisfailover.spi.FenceMode.FAST);
    } catch (DatabaseException e) {
      throw new IOException("cannot make the template data directory: " + e.getMessage(), e);
    } finally {
      a.close();
      killProcessesOf(dir);
    }
    template = dir;
    return dir;
  }

  /** A directory every user can enter, so that the server's OS user reaches the data directories inside. */
  private static Path sharedDirectory(Path parent, String name) throws IOException {
    Path dir = parent.resolve(name);
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    chownToServerUser(dir);
    return dir;
  }

  private static void chownToServerUser(Path dir) throws IOException {
    if (osUser().isPresent()) {
      runOrFail(List.of("chown", osUser().get() + ":", dir.toString()));
    }
  }

  /** SIGKILL to every process whose working directory is {@code dir}, and its postmaster, until none is left. */
  static void killProcessesOf(Path dir) {
    for (int round = 0; round < 200; round++) {
      List<Long> pids = new ArrayList<>(ProcFs.processesIn(dir));
      PidFile.read(dir).map(PidFile::pid).filter(ProcFs::alive)
          .filter(p -> ProcFs.cwd(p).map(c -> c.equals(real(dir))).orElse(false)).ifPresent(pids::add);
      if (pids.isEmpty()) {
        return;
      }
      for (long pid : pids) {
        // Stopped processes must be continued to die promptly; frozen ones were thawed already.
        run(List.of("kill", "-CONT", Long.toString(pid)));
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    System.err.println("test cleanup: processes of " + dir + " survived: " + ProcFs.processesIn(dir));
  }

  private static Path real(Path p) {
    try {
      return p.toRealPath();
    } catch (IOException e) {
      return p;
    }
  }

  static void runOrFail(List<String> cmd) throws IOException {
    int rc = run(cmd);
    if (rc != 0) {
      throw new IOException(String.join(" ", cmd) + " failed with exit code " + rc);
    }
  }

  /** Runs {@code cmd}, discarding its output; its exit code, or -1 when it could not run within a minute. */
  public static int run(List<String> cmd) {
    return ChildProcesses.run(cmd, null, Duration.ofMinutes(1));
  }


  private static void deleteQuietly(Path root) {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.deleteIfExists(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
          Files.deleteIfExists(dir);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException e) {
      System.err.println("test cleanup: cannot delete " + root + ": " + e);
    }
  }
}

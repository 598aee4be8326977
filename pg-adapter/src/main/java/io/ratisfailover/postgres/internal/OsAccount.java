package io.ratisfailover.postgres.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The operating-system user PostgreSQL runs as. PostgreSQL refuses to run as root, so an agent
 * running as root starts every PostgreSQL program through {@code setpriv}, which <em>execs</em>
 * the program: the child the JVM holds is the program itself (the postmaster, for the server), so
 * its exit is seen at once and a kill reaches it directly. Files the agent writes into the data
 * directory are handed to that user.
 */
public final class OsAccount {
  private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(5);
  private static final List<String> SETPRIV_PATHS = List.of("/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv");

  private final Optional<String> user;
  private final int uid;
  private final int gid;
  private final List<String> prefix;

  private OsAccount(Optional<String> user, int uid, int gid, List<String> prefix) {
    this.user = user;
    this.uid = uid;
    this.gid = gid;
    this.prefix = List.copyOf(prefix);
  }

  /** Runs everything as this process's own user. */
  public static OsAccount self() {
    return new OsAccount(Optional.empty(), -1, -1, List.of());
  }

  /**
   * The account for {@code configured} ({@code PostgresConfig.osUser}), given who this process is.
   *
   * @throws IllegalStateException with a message naming the setting to change
   */
  public static OsAccount resolve(Optional<String> configured) {
    int myUid = currentUid();
    if (myUid != 0) {
      if (configured.isPresent()) {
        String me = System.getProperty("user.name", "");
        if (!configured.get().equals(me)) {
          throw new IllegalStateException("osUser is '" + configured.get() + "' but this process runs as '" + me
              + "' (uid " + myUid + "), which cannot switch users: run the agent as root or as '"
              + configured.get() + "', or leave osUser empty");
        }
      }
      return self();
    }
    if (configured.isEmpty()) {
      throw new IllegalStateException("this process runs as root and PostgreSQL refuses to run as root:"
          + " set osUser to the user PostgreSQL should run as (for example postgres)");
    }
    String name = configured.get();
    int uid;
    int gid;
    try {
      uid = Integer.parseInt(ToolRunner.output(List.of("id", "-u", name), LOOKUP_TIMEOUT));
      gid = Integer.parseInt(ToolRunner.output(List.of("id", "-g", name), LOOKUP_TIMEOUT));
    } catch (IOException | NumberFormatException e) {
      throw new IllegalStateException("osUser '" + name + "' does not exist on this host: " + e.getMessage(), e);
    }
    if (uid == 0) {
      throw new IllegalStateException("osUser '" + name + "' has uid 0; PostgreSQL refuses to run as root");
    }
    String setpriv = SETPRIV_PATHS.stream().filter(p -> Files.isExecutable(Path.of(p))).findFirst()
        .orElseThrow(() -> new IllegalStateException("setpriv (util-linux) is needed to run PostgreSQL as '" + name
            + "' from root; looked in " + SETPRIV_PATHS));
    List<String> prefix = List.of(setpriv, "--reuid=" + uid, "--regid=" + gid, "--init-groups", "--");
    return new OsAccount(Optional.of(name), uid, gid, prefix);
  }

  /** The user PostgreSQL runs as, when it differs from this process's. */
  public Optional<String> user() {
    return user;
  }

  /** {@code command} as it must be run: prefixed with the user switch when there is one. */
  public List<String> wrap(List<String> command) {
    if (prefix.isEmpty()) {
      return List.copyOf(command);
    }
    List<String> full = new ArrayList<>(prefix);
    full.addAll(command);
    return full;
  }

  /** Gives {@code path} (not following links) to the server's user, when the agent runs as someone else. */
  public void own(Path path) throws IOException {
    if (user.isEmpty()) {
      return;
    }
    Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(path, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
  }

  private static int currentUid() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      // No /proc (not Linux): assume an ordinary user; PostgreSQL itself reports root.
      return -1;
    }
  }
}

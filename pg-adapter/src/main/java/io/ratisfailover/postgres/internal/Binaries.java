package io.ratisfailover.postgres.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the PostgreSQL server programs are: the configured directory, else the one
 * {@code pg_config --bindir} names, else the usual install paths (Debian/Ubuntu, RHEL/PGDG, source
 * builds, Homebrew), newest major version first.
 */
public final class Binaries {
  /** Programs the adapter runs; a directory without all of them is not a server installation. */
  static final List<String> REQUIRED = List.of("postgres", "initdb", "pg_basebackup", "pg_rewind",
      "pg_controldata", "pg_waldump");
  private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\) (\\d+)");

  private final Path directory;
  private final int majorVersion;

  private Binaries(Path directory, int majorVersion) {
    this.directory = directory;
    this.majorVersion = majorVersion;
  }

  /** A binary directory that could not be used, and why. */
  public static final class NotFoundException extends Exception {
    private static final long serialVersionUID = 1L;

    NotFoundException(String message) {
      super(message);
    }
  }

  /**
   * @throws NotFoundException naming every place searched, or what the configured directory lacks
   */
  public static Binaries find(Optional<Path> configured) throws NotFoundException {
    if (configured.isPresent()) {
      Path dir = configured.get();
      List<String> missing = missing(dir);
      if (!missing.isEmpty()) {
        throw new NotFoundException("binDirectory " + dir + " is not a PostgreSQL server installation: missing "
            + String.join(", ", missing) + (Files.isDirectory(dir) ? "" : " (the directory does not exist)"));
      }
      return withVersion(dir);
    }
    Set<Path> searched = new LinkedHashSet<>();
    try {
      Path dir = Path.of(ToolRunner.output(List.of("pg_config", "--bindir"), Duration.ofSeconds(5)));
      searched.add(dir);
      if (missing(dir).isEmpty()) {
        return withVersion(dir);
      }
    } catch (IOException | RuntimeException e) {
      searched.add(Path.of("pg_config --bindir (" + firstLine(e.getMessage()) + ")"));
    }
    for (Path dir : usualDirectories()) {
      searched.add(dir);
      if (missing(dir).isEmpty()) {
        return withVersion(dir);
      }
    }
    throw new NotFoundException("PostgreSQL server programs (" + String.join(", ", REQUIRED) + ") not found; searched "
        + searched + ". Install the PostgreSQL server package or set binDirectory");
  }

  public Path directory() {
    return directory;
  }

  public int majorVersion() {
    return majorVersion;
  }

  public String path(String program) {
    return directory.resolve(program).toString();
  }

  private static Binaries withVersion(Path dir) throws NotFoundException {
    String out;
    try {
      out = ToolRunner.output(List.of(dir.resolve("postgres").toString(), "--version"), Duration.ofSeconds(10));
    } catch (IOException e) {
      throw new NotFoundException(dir.resolve("postgres") + " --version failed: " + e.getMessage());
    }
    Matcher m = VERSION.matcher(out);
    if (!m.find()) {
      throw new NotFoundException(dir.resolve("postgres") + " --version printed '" + out + "', not a version");
    }
    int major = Integer.parseInt(m.group(1));
    if (major < 13) {
      throw new NotFoundException("PostgreSQL " + major + " in " + dir + " is too old: the adapter needs 13 or later"
          + " (reloadable primary_conninfo, wal_keep_size, pg_rewind crash recovery)");
    }
    return new Binaries(dir, major);
  }

  private static List<String> missing(Path dir) {
    List<String> missing = new ArrayList<>();
    for (String p : REQUIRED) {
      if (!Files.isExecutable(dir.resolve(p))) {
        missing.add(p);
      }
    }
    return missing;
  }

  private static List<Path> usualDirectories() {
    List<Path> dirs = new ArrayList<>();
    dirs.addAll(versioned(Path.of("/usr/lib/postgresql"), "", "bin"));
    dirs.addAll(versioned(Path.of("/usr"), "pgsql-", "bin"));
    dirs.add(Path.of("/usr/local/pgsql/bin"));
    dirs.add(Path.of("/usr/local/bin"));
    dirs.add(Path.of("/usr/bin"));
    dirs.add(Path.of("/opt/homebrew/bin"));
    return dirs;
  }

  /** {@code parent/<prefix><major>/<sub>} for every major version present, newest first. */
  private static List<Path> versioned(Path parent, String prefix, String sub) {
    List<Path> found = new ArrayList<>();
    if (!Files.isDirectory(parent)) {
      return found;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(parent, prefix + "[0-9]*")) {
      for (Path e : entries) {
        found.add(e);
      }
    } catch (IOException e) {
      return List.of();
    }
    found.sort(Comparator.comparingDouble((Path p) -> versionOf(p.getFileName().toString().substring(prefix.length())))
        .reversed());
    return found.stream().map(p -> p.resolve(sub)).toList();
  }

  private static double versionOf(String text) {
    try {
      return Double.parseDouble(text);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "failed";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}

package io.ratisfailover.postgres.internal;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The server log is readable by its owner only, as PostgreSQL's own {@code log_file_mode}: it holds
 * statement text (an {@code ALTER ROLE ... PASSWORD} logged under {@code log_statement = ddl}) and
 * start-up messages. The JVM would otherwise create it with the agent's umask, usually 0644.
 */
public final class ServerLog {
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
  private static final FileAttribute<Set<PosixFilePermission>> OWNER_ONLY_ATTRIBUTE =
      PosixFilePermissions.asFileAttribute(OWNER_ONLY);

  private ServerLog() {}

  /** Creates {@code file} 0600 or makes an existing one 0600; returns its current size. */
  public static long createPrivate(Path file) throws IOException {
    try {
      Files.createFile(file, OWNER_ONLY_ATTRIBUTE);
    } catch (FileAlreadyExistsException e) {
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        throw new IOException(file + " is not a regular file", e);
      }
      Files.setPosixFilePermissions(file, OWNER_ONLY);
    }
    return Files.size(file);
  }
}

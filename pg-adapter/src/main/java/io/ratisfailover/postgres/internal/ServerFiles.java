package io.ratisfailover.postgres.internal;

import io.ratisfailover.MemberId;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * The files in a data directory that the adapter reads and writes. Every write goes to a temporary
 * file owned by the server's user, is flushed, and is renamed over the old one, so that a crash
 * leaves the old file or the new one, never half of one.
 */
public final class ServerFiles {
  public static final String STANDBY_SIGNAL = "standby.signal";
  public static final String RECOVERY_SIGNAL = "recovery.signal";
  /** Left by pg_basebackup; the first start-up recovers from it and renames it. */
  public static final String BACKUP_LABEL = "backup_label";

  private final Path dir;
  private final OsAccount account;

  public ServerFiles(Path dataDirectory, OsAccount account) {
    this.dir = dataDirectory;
    this.account = account;
  }

  public Path directory() {
    return dir;
  }

  /** The directory holds a PostgreSQL cluster. */
  public boolean hasCluster() {
    return Files.isRegularFile(dir.resolve("PG_VERSION")) && Files.isRegularFile(dir.resolve("global/pg_control"));
  }

  /** The directory is missing or has nothing in it. */
  public boolean isEmpty() throws IOException {
    if (!Files.exists(dir)) {
      return true;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      return !entries.iterator().hasNext();
    }
  }

  /**
   * A clone that did not finish: {@code pg_basebackup} writes {@code backup_manifest} last, and the
   * {@code backup_label} it leaves is only renamed by the first start-up.
   */
  public boolean incompleteClone() {
    return Files.exists(dir.resolve(BACKUP_LABEL)) && !Files.exists(dir.resolve("backup_manifest"))
        && !Files.exists(dir.resolve(MemberState.FILE));
  }

  /** Creates the directory (mode 0700, owned by the server's user) if it does not exist. */
  public void createDirectory() throws IOException {
    if (!Files.exists(dir)) {
      Files.createDirectories(dir.getParent());
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    account.own(dir);
  }

  public void write(String name, String content) throws IOException {
    writeAtomically(dir.resolve(name), content.getBytes(StandardCharsets.UTF_8));
  }

  /** Through a temporary file in the same directory, synced, then renamed over {@code target}. */
  private void writeAtomically(Path target, byte[] content) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".rf-tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    account.own(tmp);
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(java.nio.ByteBuffer.wrap(content));
      ch.force(true);
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    syncDirectory(target.getParent());
  }

  /**
   * Writes a copy of a slot's state file as {@code pg_replslot/<slot>/state} (directory 0700, file
   * 0600, owned by the server's user); the server loads it at its next start.
   */
  public void writeSlotState(String slot, byte[] content) throws IOException {
    Path slotDir = dir.resolve("pg_replslot").resolve(slot);
    if (!Files.exists(slotDir)) {
      Files.createDirectory(slotDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    account.own(slotDir);
    writeAtomically(slotDir.resolve("state"), content);
    syncDirectory(slotDir.getParent());
  }

  /** Whether slot {@code slot} has a state file here. */
  public boolean hasSlot(String slot) {
    return Files.exists(dir.resolve("pg_replslot").resolve(slot).resolve("state"));
  }

  public Optional<String> read(String name) throws IOException {
    try {
      return Optional.of(Files.readString(dir.resolve(name), StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  public boolean exists(String name) {
    return Files.exists(dir.resolve(name));
  }

  public void delete(String name) throws IOException {
    if (Files.deleteIfExists(dir.resolve(name))) {
      syncDirectory(dir);
    }
  }

  /** Renames a file in the data directory, replacing any file of the new name. */
  public void rename(String from, String to) throws IOException {
    Files.move(dir.resolve(from), dir.resolve(to), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    syncDirectory(dir);
  }

  public Optional<MemberState> state(MemberId self) throws IOException {
    Optional<String> text = read(MemberState.FILE);
    return text.flatMap(t -> MemberState.parse(t, self));
  }

  public void writeState(MemberState state) throws IOException {
    write(MemberState.FILE, state.render());
  }

  /** Deletes everything inside the data directory, keeping the directory itself. */
  public void removeContents() throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    Files.walkFileTree(dir, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.delete(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
        if (e != null) {
          throw e;
        }
        if (!d.equals(dir)) {
          Files.delete(d);
        }
        return FileVisitResult.CONTINUE;
      }
    });
    syncDirectory(dir);
  }

  private static void syncDirectory(Path d) {
    try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Some file systems cannot fsync a directory; the rename itself has happened.
    }
  }
}

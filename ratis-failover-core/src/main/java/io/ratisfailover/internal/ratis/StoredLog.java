package io.ratisfailover.internal.ratis;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.raftlog.segmented.LogSegment;
import org.apache.ratis.server.raftlog.segmented.LogSegmentPath;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.util.SizeInBytes;

/**
 * What one member's Raft storage holds for a group, read from the files while the server is not
 * running: whether it was ever formatted, and the last log index it can recover (from its log
 * segments and state-machine snapshots). Ratis keeps a group under {@code <storage>/<group uuid>/},
 * with the log and {@code raft-meta} (term and vote) in {@code current/} and our snapshots in
 * {@code sm/}.
 *
 * @param blank no {@code raft-meta}: the storage never held this group, or it was wiped
 * @param lastIndex the highest log index held, in a segment or a snapshot; -1 when none
 */
public record StoredLog(boolean blank, long lastIndex) {
  private static final Pattern CLOSED = Pattern.compile("log_(\\d+)-(\\d+)");
  private static final Pattern OPEN = Pattern.compile("log_inprogress_(\\d+)");
  /** Only a sanity bound while reading: our entries are under a kilobyte. */
  private static final SizeInBytes MAX_ENTRY = SizeInBytes.valueOf("64MB");

  public static final StoredLog BLANK = new StoredLog(true, -1);

  /** The group's directory under a member's storage directory. */
  public static Path groupDirectory(Path storage, RaftGroupId group) {
    return storage.resolve(group.getUuid().toString());
  }

  /** @throws IOException when a file cannot be listed or the open segment cannot be read */
  public static StoredLog read(Path storage, RaftGroupId group) throws IOException {
    Path dir = groupDirectory(storage, group);
    Path current = dir.resolve("current");
    if (!Files.exists(current.resolve("raft-meta"))) {
      return BLANK;
    }
    long last = -1;
    for (Path file : list(current)) {
      String name = file.getFileName().toString();
      Matcher closed = CLOSED.matcher(name);
      if (closed.matches()) {
        last = Math.max(last, Long.parseLong(closed.group(2)));
      } else if (OPEN.matcher(name).matches()) {
        last = Math.max(last, lastIndexOfOpenSegment(file));
      }
    }
    for (Path file : list(dir.resolve("sm"))) {
      Matcher snapshot = SimpleStateMachineStorage.SNAPSHOT_REGEX.matcher(file.getFileName().toString());
      if (snapshot.matches()) {
        last = Math.max(last, Long.parseLong(snapshot.group(2)));
      }
    }
    return new StoredLog(false, last);
  }

  /**
   * The open segment's name gives only its first index: read its entries. A torn last entry (a
   * crash mid-write) is dropped as Ratis itself drops it on recovery.
   */
  private static long lastIndexOfOpenSegment(Path file) throws IOException {
    LogSegmentPath segment = LogSegmentPath.matchLogSegment(file);
    if (segment == null) {
      return -1;
    }
    AtomicLong last = new AtomicLong(-1);
    LogSegment.readSegmentFile(file.toFile(), segment.getStartEnd(), MAX_ENTRY,
        RaftServerConfigKeys.Log.CorruptionPolicy.WARN_AND_RETURN, null, entry -> last.set(entry.getIndex()));
    return last.get();
  }

  private static List<Path> list(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.toList();
    }
  }

  /** Removes the group's directory, so that the server starts it afresh. */
  public static void discard(Path storage, RaftGroupId group) throws IOException {
    Path dir = groupDirectory(storage, group);
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}

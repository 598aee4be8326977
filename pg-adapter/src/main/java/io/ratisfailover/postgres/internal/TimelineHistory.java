package io.ratisfailover.postgres.internal;

import io.ratisfailover.Lsn;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A timeline history file ({@code 0000000N.history}): for each ancestor timeline, the WAL position
 * where the next one branched off.
 */
public record TimelineHistory(long timeline, List<Entry> entries) {
  /** Timeline {@code parent} ended at {@code switchpoint}. */
  public record Entry(long parent, Lsn switchpoint) {}

  public TimelineHistory {
    entries = List.copyOf(entries);
  }

  public static TimelineHistory parse(long timeline, String content) {
    List<Entry> entries = new ArrayList<>();
    for (String raw : content.split("\n")) {
      String line = raw.strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\\s+");
      if (parts.length < 2) {
        throw new IllegalArgumentException("timeline history of " + timeline + ": malformed line '" + line + "'");
      }
      entries.add(new Entry(Long.parseLong(parts[0]), Lsn.parse(parts[1])));
    }
    return new TimelineHistory(timeline, entries);
  }

  /** Where {@code ancestor} ended in this history, if it is an ancestor. */
  public Optional<Lsn> switchpoint(long ancestor) {
    return entries.stream().filter(e -> e.parent() == ancestor).map(Entry::switchpoint).findFirst();
  }

  /** The entries of the timelines before {@code timeline}: its own history, if it is in this one. */
  public List<Entry> ancestorsOf(long timeline) {
    return entries.stream().filter(e -> e.parent() < timeline).toList();
  }

  /** For messages: "branched off 1 at 0/3000060, 2 at 0/4000100". */
  public String describe() {
    if (entries.isEmpty()) {
      return "no ancestors";
    }
    StringBuilder s = new StringBuilder("branched off");
    for (Entry e : entries) {
      s.append(s.length() > "branched off".length() ? ", " : " ").append(e.parent()).append(" at ").append(e.switchpoint());
    }
    return s.toString();
  }

  /** The file name PostgreSQL gives this history in {@code pg_wal}. */
  public static String fileName(long timeline) {
    return String.format("%08X.history", timeline);
  }
}

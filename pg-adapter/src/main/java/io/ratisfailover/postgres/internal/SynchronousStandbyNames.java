package io.ratisfailover.postgres.internal;

import io.ratisfailover.MemberId;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** Writes and reads {@code synchronous_standby_names} for a set of members. */
public final class SynchronousStandbyNames {
  private SynchronousStandbyNames() {}

  /**
   * {@code FIRST n ("a","b")}: every named standby must confirm each commit. With nobody named,
   * {@code ''} (commits do not wait), or {@code '*'} when writes must block until some standby
   * confirms them (strict synchronous mode).
   */
  public static String format(Set<MemberId> standbys, boolean blockWritesWithoutStandby) {
    return format(standbys, 0, blockWritesWithoutStandby);
  }

  /**
   * As {@link #format(Set, boolean)}, but with {@code quorum} above 0 {@code ANY quorum ("a","b")}:
   * any {@code quorum} of the named standbys confirm each commit (quorum commit).
   */
  public static String format(Set<MemberId> standbys, int quorum, boolean blockWritesWithoutStandby) {
    if (standbys.isEmpty()) {
      return blockWritesWithoutStandby ? "*" : "";
    }
    String names = new TreeSet<>(standbys).stream().map(m -> "\"" + m.value() + "\"").collect(Collectors.joining(","));
    return (quorum > 0 ? "ANY " + quorum : "FIRST " + standbys.size()) + " (" + names + ")";
  }

  /** The members a setting names; {@code *} and names that are not member ids are left out. */
  public static Set<MemberId> parse(String setting) {
    String s = setting == null ? "" : setting.strip();
    if (s.isEmpty()) {
      return Set.of();
    }
    int open = s.indexOf('(');
    int close = s.lastIndexOf(')');
    String list = open >= 0 && close > open ? s.substring(open + 1, close) : s;
    Set<MemberId> members = new TreeSet<>();
    for (String part : list.split(",")) {
      String name = part.strip();
      if (name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")) {
        name = name.substring(1, name.length() - 1).replace("\"\"", "\"");
      }
      try {
        members.add(MemberId.of(name));
      } catch (IllegalArgumentException e) {
        // '*', a keyword or somebody else's name: not one of our members
      }
    }
    return Set.copyOf(members);
  }
}

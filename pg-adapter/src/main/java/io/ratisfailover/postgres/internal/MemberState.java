package io.ratisfailover.postgres.internal;

import io.ratisfailover.MemberId;
import java.io.IOException;
import java.io.StringReader;
import java.util.Optional;
import java.util.Properties;

/**
 * What the adapter remembers in the data directory, so that it survives agent restarts: which
 * member owns the directory, which member it follows, and whether bootstrap finished. A copy made
 * by {@code pg_basebackup} or {@code pg_rewind} names another member and is ignored.
 *
 * @param member the member that wrote it
 * @param upstream the member this standby follows; empty on a primary or a standby without upstream
 * @param bootstrapped false while this member's bootstrap has created the cluster but not finished setting it up
 */
public record MemberState(MemberId member, Optional<MemberId> upstream, boolean bootstrapped) {
  public static final String FILE = "ratis-failover.state";

  public MemberState withUpstream(Optional<MemberId> value) {
    return new MemberState(member, value, bootstrapped);
  }

  public String render() {
    return "# ratis-failover member state; rewritten by the adapter\n"
        + "member=" + member + "\n"
        + "upstream=" + upstream.map(MemberId::value).orElse("") + "\n"
        + "bootstrapped=" + bootstrapped + "\n";
  }

  /** The state in {@code text} if {@code self} wrote it; empty for another member's copy or a damaged file. */
  public static Optional<MemberState> parse(String text, MemberId self) {
    Properties p = new Properties();
    try {
      p.load(new StringReader(text));
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    }
    if (!self.value().equals(p.getProperty("member"))) {
      return Optional.empty();
    }
    String up = p.getProperty("upstream", "").strip();
    Optional<MemberId> upstream;
    try {
      upstream = up.isEmpty() ? Optional.empty() : Optional.of(MemberId.of(up));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    return Optional.of(new MemberState(self, upstream, Boolean.parseBoolean(p.getProperty("bootstrapped", "true"))));
  }
}

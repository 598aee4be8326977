package io.ratisfailover;

import io.ratisfailover.spi.DatabaseStatus;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One member as this member sees it.
 *
 * @param attributes what the member's database adapter published (for example host and port)
 * @param status the member's last reported database status
 * @param statusAge how long ago this member applied that report; empty if not since it started
 * @param reporting whether that report is recent: data members report every {@code loop_wait} and
 *     witnesses every {@code ttl}, so a report older than {@code ttl} (twice that for a witness)
 *     means the member, or its link to the majority, is down
 */
public record MemberView(MemberId id, MemberKind kind, String raftAddress, MemberRole role, Tags tags, String apiUrl,
    Map<String, String> attributes, Optional<DatabaseStatus> status, Optional<Duration> statusAge,
    boolean reporting) {
  public MemberView {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(tags, "tags");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(statusAge, "statusAge");
    attributes = Map.copyOf(attributes);
  }
}

package io.ratisfailover.internal.state;

import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.Tags;
import io.ratisfailover.spi.DatabaseStatus;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A member in the replicated state: its static identity, what it last reported, and the newest
 * request applied from it.
 *
 * @param statusIndex the log index of its last report; 0 before the first
 * @param appliedIndex the log index the member had applied when it sent that report, so its Raft
 *     storage held the log at least that far (durable evidence against a restored older copy,
 *     {@code StorageCheck}); 0 when it did not say
 */
public record MemberRecord(Peer peer, Tags tags, String apiUrl, Map<String, String> attributes,
    Optional<DatabaseStatus> status, long statusIndex, long appliedIndex, long incarnation, long seq) {

  public MemberRecord {
    Objects.requireNonNull(peer, "peer");
    Objects.requireNonNull(tags, "tags");
    Objects.requireNonNull(apiUrl, "apiUrl");
    Objects.requireNonNull(status, "status");
    attributes = Map.copyOf(attributes);
  }

  public static MemberRecord of(Peer peer) {
    return new MemberRecord(peer, Tags.DEFAULT, "", Map.of(), Optional.empty(), 0, 0, 0, 0);
  }

  public MemberId id() {
    return peer.id();
  }

  public MemberKind kind() {
    return peer.kind();
  }

  public boolean isData() {
    return peer.kind() == MemberKind.DATA;
  }

  /**
   * Whether a request from {@code origin} is new, rather than a repeat or an overtaken one.
   * Incarnations only grow (review B9): a request of an earlier agent process, replayed or merely
   * late, is refused once a later process has been heard from.
   */
  public boolean isNewRequest(Origin origin) {
    return origin.incarnation() > incarnation || (origin.incarnation() == incarnation && origin.seq() > seq);
  }

  MemberRecord withRequest(Origin origin) {
    return new MemberRecord(peer, tags, apiUrl, attributes, status, statusIndex, appliedIndex, origin.incarnation(),
        origin.seq());
  }

  MemberRecord withReport(Command.ReportStatus report, long index) {
    return new MemberRecord(peer, report.tags(), report.apiUrl(), report.attributes(), report.status(), index,
        report.appliedIndex().orElse(0), incarnation, seq);
  }
}

package io.ratisfailover.internal.state;

import io.ratisfailover.MemberId;
import java.util.Objects;

/**
 * Who sent a request, and what makes a second delivery of it harmless: requests of one agent
 * process (incarnation) carry growing sequence numbers, and the state machine applies each at most once.
 *
 * @param sentAtMillis the sender's wall clock, shown to people, never used for a decision
 */
public record Origin(MemberId member, long incarnation, long seq, long sentAtMillis) {
  public Origin {
    Objects.requireNonNull(member, "member");
    if (seq < 0) {
      throw new IllegalArgumentException("sequence number must not be negative: " + seq);
    }
  }
}

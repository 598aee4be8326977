package io.ratisfailover.internal.ratis;

import io.ratisfailover.MemberId;
import org.slf4j.Logger;

/**
 * Logs refused unauthenticated requests without letting a stranger flood the log: the first few,
 * then one line per thousand with the count. Counting, not a clock: the state machine reads none.
 */
final class RefusalLog {
  private static final long LOGGED_IN_FULL = 10;
  private static final long THEN_EVERY = 1000;
  private final Logger log;
  private final MemberId self;
  private long count;

  RefusalLog(Logger log, MemberId self) {
    this.log = log;
    this.self = self;
  }

  synchronized void refused(String what, String reason) {
    count++;
    if (count <= LOGGED_IN_FULL || count % THEN_EVERY == 0) {
      log.warn("member {}: unauthenticated request refused ({} so far), {}: {}", self, count, what, reason);
    }
  }
}

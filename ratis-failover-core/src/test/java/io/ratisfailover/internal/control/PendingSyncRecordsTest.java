package io.ratisfailover.internal.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.MemberId;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PendingSyncRecordsTest {
  private static final MemberId PG2 = MemberId.of("pg2");
  private static final MemberId PG3 = MemberId.of("pg3");
  private final PendingSyncRecords pending = new PendingSyncRecords();

  @Test
  void anOlderRecordWhoseAnswerWasLostStillCountsAfterANewerOneWentOut() {
    pending.sent(7, Set.of(PG3));
    pending.sent(9, Set.of());

    assertThat(pending.mayStillAdd()).containsExactly(PG3);
  }

  @Test
  void aSettledCommandEndsEveryRecordSentBeforeIt() {
    pending.sent(7, Set.of(PG3));
    pending.sent(9, Set.of(PG2));

    pending.settledThrough(8);
    assertThat(pending.mayStillAdd()).containsExactly(PG2);

    pending.settledThrough(9);
    assertThat(pending.mayStillAdd()).isEmpty();
  }
}

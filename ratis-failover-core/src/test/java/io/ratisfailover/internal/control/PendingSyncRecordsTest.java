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
    pending.sent(7, SyncRecord.all(Set.of(PG3)));
    pending.sent(9, SyncRecord.NONE);

    assertThat(pending.mayStillApply()).contains(SyncRecord.all(Set.of(PG3)));
  }

  @Test
  void aSettledCommandEndsEveryRecordSentBeforeIt() {
    pending.sent(7, SyncRecord.all(Set.of(PG3)));
    pending.sent(9, SyncRecord.all(Set.of(PG2)));

    pending.settledThrough(8);
    assertThat(pending.mayStillApply()).containsExactly(SyncRecord.all(Set.of(PG2)));

    pending.settledThrough(9);
    assertThat(pending.mayStillApply()).isEmpty();
  }
}

package io.ratisfailover.internal.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.Lsn;
import io.ratisfailover.Tags;
import io.ratisfailover.spi.DatabaseStatus;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class LimitsTest {
  /** A long note once cost the report the index its status was sampled after: the quorum election then waited. */
  @Test
  void aReportWithALongDatabaseNoteKeepsEverythingButTheNoteTail() {
    DatabaseStatus noisy = DatabaseStatus.replica(2, Lsn.of(5), Lsn.of(5), Optional.empty())
        .withDetail("x".repeat(Limits.MAX_TEXT * 2));
    Command.ReportStatus report = new Command.ReportStatus(Tags.DEFAULT, "http://127.0.0.1:8008", Map.of("port", "5432"),
        Optional.of(noisy), OptionalLong.of(42), OptionalLong.of(40));

    Command.ReportStatus trimmed = (Command.ReportStatus) Limits.trimmed(report);

    assertThat(Limits.oversized(report)).isPresent();
    assertThat(Limits.oversized(trimmed)).isEmpty();
    assertThat(trimmed.status().orElseThrow().detail()).startsWith("xxx");
    assertThat(trimmed).usingRecursiveComparison().ignoringFields("status").isEqualTo(report);
  }
}

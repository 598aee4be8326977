package io.ratisfailover.internal.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.Tags;
import io.ratisfailover.internal.auth.MemberKey;
import io.ratisfailover.internal.state.Codec;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Origin;
import io.ratisfailover.internal.state.Request;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.ReplicaInfo;
import io.ratisfailover.testing.TestPki;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ratis refuses an entry over the appender's byte limit, and the log writer's buffer of every group
 * is sized for it ({@link RatisProperties#MAX_ENTRY_BYTES}): the largest command a member can send
 * within the caps of {@code Limits}, signed with a certificate chain, must fit with room to spare.
 */
class LargestEntryTest {
  @TempDir Path dir;

  @Test
  void aStatusReportAtEveryCapSignedWithAnIntermediateFitsOneEntry() {
    TestPki pki = TestPki.createWithIntermediate(dir, "orders-root", "orders-intermediate");
    MemberId self = MemberId.of(name('p', 0));
    MemberKey key = MemberKey.load(self, "orders", pki.issue(self.value()));
    List<ReplicaInfo> replicas = IntStream.range(0, 64).mapToObj(i -> new ReplicaInfo(MemberId.of(name('r', i)), true,
        ReplicaInfo.SyncState.QUORUM, Lsn.of(Long.MAX_VALUE), Lsn.of(Long.MAX_VALUE))).toList();
    Set<MemberId> standbys = replicas.stream().map(ReplicaInfo::member).collect(Collectors.toSet());
    DatabaseStatus status = DatabaseStatus.primary(Long.MAX_VALUE, Lsn.of(Long.MAX_VALUE), replicas, standbys)
        .withSystemIdentifier("7".repeat(20)).withDetail("d".repeat(1023));
    Map<String, String> full = new LinkedHashMap<>();
    for (int i = 0; i < 32; i++) {
      full.put(String.format("%064d", i), "v".repeat(512));
    }
    Command report = new Command.ReportStatus(new Tags(false, false, false, Integer.MAX_VALUE, full),
        "https://" + "h".repeat(500) + ":8008", full, java.util.Optional.of(status), OptionalLong.of(Long.MAX_VALUE),
        OptionalLong.of(Long.MAX_VALUE));

    Request signed = key.sign(new Origin(self, Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE), report);
    int bytes = Codec.encode(signed).length;

    // Ratis adds the client id, call id, term and index: well under a kilobyte.
    assertThat(bytes).as("the largest command, encoded").isGreaterThan(40_000).isLessThan(RatisProperties.MAX_ENTRY_BYTES - 4096);
  }

  private static String name(char first, int i) {
    return first + String.format("%062d", i);
  }
}

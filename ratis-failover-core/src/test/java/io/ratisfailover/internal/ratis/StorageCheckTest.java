package io.ratisfailover.internal.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.MemberId;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StorageCheckTest {
  static final MemberId W1 = MemberId.of("w1");
  static final Path STORAGE = Path.of("/var/lib/rf/w1");

  static PeerReport pg1Saw(long committedByW1) {
    return new PeerReport(MemberId.of("pg1"), committedByW1, 0, 100);
  }

  /** A peer restarted since: it remembers no commit index of w1, but its state holds w1's last report. */
  static PeerReport pg1HoldsAReportAt(long index) {
    return new PeerReport(MemberId.of("pg1"), -1, index, 100);
  }

  @Test
  void aBlankStorageNobodyAnswersForStartsAsANewCluster() {
    assertThat(StorageCheck.refusal(W1, STORAGE, StoredLog.BLANK, List.of())).isEmpty();
  }

  @Test
  void aBlankStorageOfAMemberThePeersNeverSawCommitStartsAsALateMemberOfANewCluster() {
    assertThat(StorageCheck.refusal(W1, STORAGE, StoredLog.BLANK, List.of(pg1Saw(-1)))).isEmpty();
  }

  @Test
  void aBlankStorageOfAMemberAPeerSawCommitIsRefusedNamingTheRecovery() {
    assertThat(StorageCheck.refusal(W1, STORAGE, StoredLog.BLANK, List.of(pg1Saw(-1), pg1Saw(0))))
        .hasValueSatisfying(why -> assertThat(why).contains("w1", "/var/lib/rf/w1", "is empty", "index 0", "--rejoin")
            .doesNotContain("\n"));
  }

  @Test
  void aBlankStorageOfAMemberTheClusterHeardFromIsRefusedEvenWhenNoPeerRemembersItsCommits() {
    assertThat(StorageCheck.refusal(W1, STORAGE, StoredLog.BLANK, List.of(pg1HoldsAReportAt(42))))
        .hasValueSatisfying(why -> assertThat(why).contains("is empty", "report from w1 at log index 42", "--rejoin"));
  }

  @Test
  void aBlankStorageIsRefusedWhenARunningPeersStateCouldNotBeRead() {
    // Seen under load: the state read timed out, and "unknown" had been taken for "never a member".
    PeerReport unread = new PeerReport(MemberId.of("pg1"), -1, PeerReport.UNREAD, 100);
    assertThat(StorageCheck.refusal(W1, STORAGE, StoredLog.BLANK, List.of(unread)))
        .hasValueSatisfying(why -> assertThat(why).contains("is empty", "pg1 answered", "could not be read"));
    assertThat(StorageCheck.refusal(W1, STORAGE, new StoredLog(false, 10), List.of(unread))).isEmpty();
    // A new cluster starting: the peer's group has committed nothing, its state is not served yet.
    PeerReport starting = new PeerReport(MemberId.of("pg1"), -1, PeerReport.UNREAD, 0);
    assertThat(StorageCheck.refusal(W1, STORAGE, StoredLog.BLANK, List.of(starting))).isEmpty();
  }

  @Test
  void aReportAloneSaysNothingAboutHowMuchAKeptStorageHeld() {
    assertThat(StorageCheck.refusal(W1, STORAGE, new StoredLog(false, 10), List.of(pg1HoldsAReportAt(42)))).isEmpty();
  }

  /** A peer that is a new Raft leader, or restarted, remembers no commit index; the state remembers the report. */
  static PeerReport pg1RecordsW1Applied(long index) {
    return new PeerReport(MemberId.of("pg1"), -1, index + 1, index, 100, Optional.empty(), true);
  }

  @Test
  void aStorageHoldingLessThanW1ReportedHavingAppliedIsAnOlderCopy() {
    assertThat(StorageCheck.refusal(W1, STORAGE, new StoredLog(false, 90), List.of(pg1RecordsW1Applied(95))))
        .hasValueSatisfying(why -> assertThat(why).contains("up to index 90", "w1 reported having applied the log up to"
            + " index 95", "older copy", "--rejoin").doesNotContain("\n"));
    assertThat(StorageCheck.refusal(W1, STORAGE, new StoredLog(false, 95), List.of(pg1RecordsW1Applied(95)))).isEmpty();
  }

  @Test
  void aStorageHoldingWhatThePeersSawIsFineEvenIfTheClusterMovedOn() {
    assertThat(StorageCheck.refusal(W1, STORAGE, new StoredLog(false, 90), List.of(pg1Saw(90)))).isEmpty();
  }

  @Test
  void aStorageHoldingLessThanAPeerSawItCommitIsAnOlderCopy() {
    assertThat(StorageCheck.refusal(W1, STORAGE, new StoredLog(false, 90), List.of(pg1Saw(60), pg1Saw(120))))
        .hasValueSatisfying(why -> assertThat(why).contains("up to index 90", "up to log index 120", "older copy", "--rejoin"));
  }
}

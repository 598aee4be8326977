package io.ratisfailover.internal.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.Epoch;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.RaftTls;
import io.ratisfailover.Tags;
import io.ratisfailover.internal.state.Applied;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.ClusterStateMachine;
import io.ratisfailover.internal.state.Codec;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Origin;
import io.ratisfailover.internal.state.Rejection;
import io.ratisfailover.internal.state.Request;
import io.ratisfailover.internal.state.Story;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invariant A1 (docs/design.md §4) at the state machine: in a cluster bootstrapped with a CA, a
 * command applies only when signed by the member it names, with a certificate from that CA;
 * everything else is refused as UNAUTHENTICATED and changes nothing. Every replica applies the
 * same, from the log.
 */
class SignedCommandsTest {
  private static final DatabaseStatus STANDBY = DatabaseStatus.replica(1, Lsn.of(0x3000000), Lsn.of(0x3000000), Optional.empty());
  @TempDir static Path dir;
  static TestPki pki;
  static Map<String, MemberKey> keys = new HashMap<>();
  static MemberKey strangerPg1;

  private final ClusterStateMachine rules = new ClusterStateMachine();
  private long index;
  private long seq;

  @BeforeAll
  static void issue() {
    pki = TestPki.create(dir.resolve("orders"), "orders-ca");
    for (String m : new String[] {"pg1", "pg2", "w1"}) {
      keys.put(m, MemberKey.load(MemberId.of(m), "orders", pki.issue(m)));
    }
    TestPki other = TestPki.create(dir.resolve("other"), "other-ca");
    strangerPg1 = MemberKey.load(MemberId.of("pg1"), "orders", other.issue("pg1"));
  }

  /** A running authenticated cluster: bootstrapped by w1 with the CA, pg1 elected and renewing, pg2 reporting. */
  private ClusterState cluster() {
    ClusterState s = ClusterState.EMPTY;
    s = applied(s, signed("w1", 1, new Command.Bootstrap("orders", Story.PEERS, ClusterSettings.DEFAULT,
        Optional.of(keys.get("w1").ca()))));
    s = applied(s, signed("pg2", 1, report(STANDBY, "http://pg2")));
    s = applied(s, signed("w1", 1, new Command.Elect(MemberId.of("pg1"), Epoch.of(1), s.lastRenewalIndex(),
        HistoryEntry.Cause.BOOTSTRAP, "first")));
    s = applied(s, signed("pg1", 1, new Command.Renew(Epoch.of(1), 2500)));
    assertThat(s.authenticated()).isTrue();
    assertThat(s.primary()).contains(MemberId.of("pg1"));
    return s;
  }

  @Test
  void signedCommandsOfEveryMemberApply() {
    ClusterState s = cluster();
    Applied renewed = apply(s, signed("pg1", 1, new Command.Renew(Epoch.of(1), 2500)));
    assertThat(renewed.result().applied()).isTrue();
    assertThat(renewed.state().lastRenewalIndex()).isEqualTo(index);
  }

  @Test
  void aRequestSignedByPg2ClaimingToComeFromPg1IsRefused() {
    ClusterState s = cluster();
    for (Command c : new Command[] {new Command.Renew(Epoch.of(1), 86_400_000), new Command.Release(Epoch.of(1),
        Optional.empty(), "forged"), report(STANDBY, "http://attacker")}) {
      Request forged = keys.get("pg2").sign(new Origin(MemberId.of("pg1"), 2, ++seq, 0), c);
      assertUnauthenticated(s, forged, "signed with the certificate of pg2");
    }
  }

  @Test
  void aCertificateFromAnotherCaIsRefused() {
    ClusterState s = cluster();
    Request forged = strangerPg1.sign(new Origin(MemberId.of("pg1"), 2, ++seq, 0), new Command.Renew(Epoch.of(1), 2500));
    assertUnauthenticated(s, forged, "does not vouch for");
  }

  /**
   * Certificates from an intermediate CA, sent with the member's certificate, verify against the
   * root alone; an intermediate of the same name under another root of the same name vouches for
   * nobody: names are not trusted, signatures are.
   */
  @Test
  void commandsSignedUnderAnIntermediateCaVerifyAgainstTheRootAlone() {
    TestPki intermediate = TestPki.createWithIntermediate(dir.resolve("chained"), "chained-root", "chained-intermediate");
    TestPki impostor = TestPki.createWithIntermediate(dir.resolve("impostor"), "chained-root", "chained-intermediate");
    Map<String, MemberKey> chained = new HashMap<>();
    for (String m : new String[] {"pg1", "w1"}) {
      chained.put(m, MemberKey.load(MemberId.of(m), "orders", intermediate.issue(m)));
    }
    ClusterState s = applied(ClusterState.EMPTY, chained.get("w1").sign(new Origin(MemberId.of("w1"), 1, ++seq, 0),
        new Command.Bootstrap("orders", Story.PEERS, ClusterSettings.DEFAULT, Optional.of(chained.get("w1").ca()))));
    s = applied(s, chained.get("w1").sign(new Origin(MemberId.of("w1"), 1, ++seq, 0), new Command.Elect(MemberId.of("pg1"),
        Epoch.of(1), s.lastRenewalIndex(), HistoryEntry.Cause.BOOTSTRAP, "first")));
    s = applied(s, chained.get("pg1").sign(new Origin(MemberId.of("pg1"), 1, ++seq, 0), new Command.Renew(Epoch.of(1), 2500)));
    assertThat(s.primary()).contains(MemberId.of("pg1"));
    RaftTls forgedFiles = impostor.issue("pg1");
    MemberKey forger = MemberKey.load(MemberId.of("pg1"), "orders", new RaftTls(forgedFiles.certificate(),
        forgedFiles.key(), forgedFiles.ca()));
    assertUnauthenticated(s, forger.sign(new Origin(MemberId.of("pg1"), 2, ++seq, 0), new Command.Renew(Epoch.of(1), 2500)),
        "is not signed by CN=chained-root");
    assertThatThrownBy(() -> MemberKey.load(MemberId.of("pg1"), "orders", new RaftTls(forgedFiles.certificate(),
        forgedFiles.key(), intermediate.caFile()))).hasMessageContaining("is not signed by CN=chained-root");
  }

  /**
   * A certificate file that ends with the root itself ("full chain" files, as many tools write
   * them): the transport accepts it (RaftTlsParameters), so signing must too, for the plain CA
   * (no intermediates allowed) and under an intermediate alike.
   */
  @Test
  void aCertificateFileEndingWithTheRootSignsCommandsThatApply() throws Exception {
    TestPki chainedPki = TestPki.createWithIntermediate(dir.resolve("full"), "full-root", "full-intermediate");
    for (RaftTls issued : new RaftTls[] {pki.issue("pg1"), chainedPki.issue("pg1")}) {
      Path full = Files.writeString(dir.resolve("full-chain-" + issued.certificate().getParent().getFileName() + ".pem"),
          Files.readString(issued.certificate()) + Files.readString(issued.ca()));
      MemberKey pg1 = MemberKey.load(MemberId.of("pg1"), "orders", new RaftTls(full, issued.key(), issued.ca()));
      ClusterState s = applied(ClusterState.EMPTY, pg1.sign(new Origin(MemberId.of("pg1"), 1, ++seq, 0),
          new Command.Bootstrap("orders", Story.PEERS, ClusterSettings.DEFAULT, Optional.of(pg1.ca()))));
      applied(s, pg1.sign(new Origin(MemberId.of("pg1"), 1, ++seq, 0), report(STANDBY, "http://pg1")));
    }
  }

  @Test
  void anUnsignedRequestIsRefusedOnceTheClusterHasACa() {
    ClusterState s = cluster();
    assertUnauthenticated(s, new Request(new Origin(MemberId.of("w1"), 2, ++seq, 0), new Command.SetPause(true)), "unsigned");
    assertUnauthenticated(s, new Request(new Origin(MemberId.of("w1"), 2, ++seq, 0),
        new Command.Bootstrap("orders", Story.PEERS, ClusterSettings.DEFAULT)), "unsigned");
  }

  @Test
  void forgedElectionsAndPausesAreRefused() {
    ClusterState s = cluster();
    Command elect = new Command.Elect(MemberId.of("pg2"), Epoch.of(2), s.lastRenewalIndex(), HistoryEntry.Cause.FAILOVER,
        "forged");
    assertUnauthenticated(s, new Request(new Origin(MemberId.of("w1"), 2, ++seq, 0), elect), "unsigned");
    assertUnauthenticated(s, strangerPg1.sign(new Origin(MemberId.of("pg1"), 2, ++seq, 0), elect), "does not vouch for");
    assertUnauthenticated(s, keys.get("pg2").sign(new Origin(MemberId.of("w1"), 2, ++seq, 0), new Command.SetPause(true)),
        "signed with the certificate of pg2");
  }

  @Test
  void aSignatureCoversOneRequestOnly() {
    ClusterState s = cluster();
    Request honest = keys.get("w1").sign(new Origin(MemberId.of("w1"), 2, ++seq, 0), new Command.SetPause(false));
    Request swapped = new Request(honest.origin(), new Command.SetPause(true), honest.seal());
    assertUnauthenticated(s, swapped, "covers another request");
    // A signature made for another cluster does not count here either.
    Request elsewhere = MemberKey.load(MemberId.of("w1"), "billing", pki.issue("w1"))
        .sign(new Origin(MemberId.of("w1"), 2, ++seq, 0), new Command.SetPause(true));
    assertUnauthenticated(s, elsewhere, "does not verify");
  }

  @Test
  void aSignedRequestOfAnEarlierIncarnationIsRefusedOnceALaterOneApplied() {
    ClusterState s = cluster(); // pg1 renewed as incarnation 1
    Request captured = keys.get("pg1").sign(new Origin(MemberId.of("pg1"), 1, ++seq + 100, 0), new Command.Renew(Epoch.of(1), 2500));
    s = applied(s, signed("pg1", 2, new Command.Renew(Epoch.of(1), 2500))); // pg1 restarted
    Applied replayed = apply(s, captured);
    assertThat(replayed.result().rejection()).contains(Rejection.STALE_REQUEST);
    assertThat(replayed.result().reason()).contains("older than its recorded incarnation 2");
    assertThat(replayed.state()).isEqualTo(s);
  }

  @Test
  void anUnauthenticatedRequestDoesNotEvenMoveTheSendersCounter() {
    ClusterState s = cluster();
    Request forged = new Request(new Origin(MemberId.of("pg1"), Long.MAX_VALUE, Long.MAX_VALUE, 0),
        new Command.Renew(Epoch.of(1), 2500));
    assertUnauthenticated(s, forged, "unsigned");
    assertThat(apply(s, signed("pg1", 1, new Command.Renew(Epoch.of(1), 2500))).result().applied()).isTrue();
  }

  @Test
  void unsignedCommandsStillApplyInAClusterBootstrappedWithoutACa() {
    Story story = Story.of().bootstrap().apply("w1", new Command.SetPause(true));
    assertThat(story.last().applied()).isTrue();
    assertThat(story.state().authenticated()).isFalse();
  }

  @Test
  void theCaSurvivesASnapshot() {
    ClusterState s = cluster();
    assertThat(Codec.decodeState(Codec.encode(s))).isEqualTo(s);
    Request r = signed("pg1", 1, new Command.Renew(Epoch.of(1), 2500));
    assertThat(Codec.decodeRequest(Codec.encode(r))).isEqualTo(r);
  }

  @Test
  void loadingRefusesFilesThatWouldNotBeAcceptedWithOneLine() throws Exception {
    RaftTls pg1 = pki.issue("pg1");
    RaftTls pg2 = pki.issue("pg2");
    assertThatThrownBy(() -> MemberKey.load(MemberId.of("pg1"), "orders", pg2))
        .hasMessageContaining("is signed with the certificate of pg2");
    assertThatThrownBy(() -> MemberKey.load(MemberId.of("pg1"), "orders", new RaftTls(pg1.certificate(), pg2.key(), pg1.ca())))
        .hasMessageContaining("does not belong to certificate");
    TestPki other = TestPki.create(dir.resolve("third"), "third-ca");
    assertThatThrownBy(() -> MemberKey.load(MemberId.of("pg1"), "orders", new RaftTls(pg1.certificate(), pg1.key(),
        other.caFile()))).hasMessageContaining("does not vouch for");
    Path sec1 = dir.resolve("sec1.key");
    Files.writeString(sec1, "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
    assertThatThrownBy(() -> MemberKey.load(MemberId.of("pg1"), "orders", new RaftTls(pg1.certificate(), sec1, pg1.ca())))
        .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt").hasMessageNotContaining("\n");
    assertThatThrownBy(() -> MemberKey.load(MemberId.of("pg1"), "orders", new RaftTls(dir.resolve("missing.pem"),
        pg1.key(), pg1.ca()))).hasMessageContaining("does not exist");
  }

  // --- review 1.3: no oracle, no bloat --------------------------------------------------------

  @Test
  void aRefusedElectionDoesNotRevealTheRenewalIndex() {
    Story story = Story.of().bootstrap().elect("pg1").renew("pg1").renew("pg1");
    long renewal = story.state().lastRenewalIndex();
    story.apply("w1", new Command.Elect(MemberId.of("pg2"), Epoch.of(2), 0, HistoryEntry.Cause.FAILOVER, "probe"));
    assertThat(story.last().rejection()).contains(Rejection.RENEWED_SINCE);
    assertThat(story.last().reason()).doesNotContain(String.valueOf(renewal));
  }

  @Test
  void oversizedReportsAreRefusedWithAReason() {
    Map<String, String> many = new HashMap<>();
    for (int i = 0; i < 100; i++) {
      many.put("k" + i, "v");
    }
    Story story = Story.of().bootstrap().apply("pg2", new Command.ReportStatus(Tags.DEFAULT, "http://pg2", many,
        Optional.of(STANDBY), OptionalLong.empty()));
    assertThat(story.last().rejection()).contains(Rejection.INVALID);
    assertThat(story.last().reason()).contains("attributes");
    assertThat(story.state().members().get(MemberId.of("pg2")).attributes()).isEmpty();
    story.apply("pg2", new Command.ReportStatus(Tags.DEFAULT, "http://pg2", Map.of("host", "x".repeat(10_000)),
        Optional.of(STANDBY), OptionalLong.empty()));
    assertThat(story.last().rejection()).contains(Rejection.INVALID);
  }

  // --- helpers --------------------------------------------------------------------------------

  private void assertUnauthenticated(ClusterState s, Request request, String why) {
    Applied refused = apply(s, request);
    assertThat(refused.result().rejection()).as(refused.result().toString()).contains(Rejection.UNAUTHENTICATED);
    assertThat(refused.result().reason()).contains(why);
    assertThat(refused.state()).as("an unauthenticated request changes nothing").isEqualTo(s);
    // What the log carries is refused the same way on every replica. (A seal moved onto another
    // command cannot even be logged: the log carries the bytes the seal covers.)
    Request logged = Codec.decodeRequest(Codec.encode(request));
    if (logged.equals(request)) {
      assertThat(new ClusterStateMachine().apply(s, logged, index)).isEqualTo(refused);
    }
  }

  private static Command report(DatabaseStatus status, String apiUrl) {
    return new Command.ReportStatus(Tags.DEFAULT, apiUrl, Map.of("host", "127.0.0.1", "port", "5432"), Optional.of(status),
        OptionalLong.empty());
  }

  private Request signed(String member, long incarnation, Command command) {
    return keys.get(member).sign(new Origin(MemberId.of(member), incarnation, ++seq, 0), command);
  }

  private Applied apply(ClusterState s, Request request) {
    return rules.apply(s, request, ++index);
  }

  private ClusterState applied(ClusterState s, Request request) {
    Applied a = apply(s, request);
    assertThat(a.result().applied()).as(a.result().toString()).isTrue();
    return a.state();
  }
}

package io.ratisfailover.internal.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.Epoch;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.Tags;
import io.ratisfailover.internal.proto.CommandProto;
import io.ratisfailover.internal.proto.Origin;
import io.ratisfailover.internal.proto.ReportStatus;
import io.ratisfailover.internal.proto.DatabaseStatusProto;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.ReplicaInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CodecTest {
  private static final io.ratisfailover.internal.state.Origin FROM =
      new io.ratisfailover.internal.state.Origin(MemberId.of("pg1"), -42, 7, 1_700_000_000_000L);

  @Test
  void everyCommandSurvivesTheWire() {
    DatabaseStatus primary = DatabaseStatus.primary(3, Lsn.parse("16/B374D848"),
        List.of(new ReplicaInfo(MemberId.of("pg2"), true, ReplicaInfo.SyncState.SYNC, Lsn.of(5), Lsn.of(4))),
        Set.of(MemberId.of("pg2"))).withSystemIdentifier("7123").withDetail("ok");
    List<Command> commands = List.of(
        new Command.Bootstrap("orders", Story.PEERS, ClusterSettings.DEFAULT.withSynchronousMode(SynchronousMode.STRICT)
            .withPrimaryStartTimeout(Duration.ofSeconds(7))),
        new Command.ReportStatus(new Tags(true, false, true, 3, Map.of("dc", "east")), "https://h:8008",
            Map.of("host", "10.0.0.1", "port", "5432"), Optional.of(primary), OptionalLong.of(42)),
        new Command.ReportStatus(Tags.DEFAULT, "", Map.of(), Optional.empty(), OptionalLong.empty()),
        new Command.Renew(Epoch.of(4), 2500),
        new Command.Release(Epoch.of(4), Optional.of(Lsn.of(99)), "switchover"),
        new Command.Release(Epoch.of(4), Optional.empty(), "crashed"),
        new Command.Elect(MemberId.of("pg2"), Epoch.of(5), 123, HistoryEntry.Cause.SWITCHOVER, "planned",
            java.time.Duration.ofMillis(1450)),
        new Command.RecordPromotion(Epoch.of(5), 4, Lsn.of(1000)),
        new Command.SetSynchronous(Epoch.of(5), Set.of(MemberId.of("pg1"))),
        new Command.SetPause(true),
        new Command.RequestSwitchover(Optional.of(MemberId.of("pg1")), Optional.empty(), Epoch.of(5),
            Optional.of(Instant.parse("2026-12-01T03:00:00Z"))),
        new Command.CancelSwitchover(),
        new Command.UpdateSettings(ClusterSettings.DEFAULT.withSynchronousNodeCount(2)));
    for (Command c : commands) {
      Request r = new Request(FROM, c);
      assertThat(Codec.decodeRequest(Codec.encode(r))).isEqualTo(r);
    }
  }

  @Test
  void resultsAndSnapshotsSurviveTheWire() {
    ClusterState s = Story.of().bootstrap().elect("pg1").promoted("pg1", 1).synchronous("pg1", "pg2")
        .apply("w1", new Command.SetPause(true)).state();
    assertThat(Codec.decodeState(Codec.encode(s))).isEqualTo(s);
    ApplyResult rejected = new ApplyResult(9, Optional.of(Rejection.RENEWED_SINCE), "why", Epoch.of(2), Optional.of(MemberId.of("pg1")));
    assertThat(Codec.decodeResult(Codec.encode(rejected))).isEqualTo(rejected);
  }

  @Test
  void garbageIsRefusedWithAReason() {
    assertThatThrownBy(() -> Codec.decodeRequest(new byte[] {(byte) 0xff, 0x01, 0x02}))
        .isInstanceOf(Codec.MalformedMessageException.class).hasMessageContaining("CommandProto");
  }

  @Test
  void anInvalidMemberNameIsRefusedNamingTheProblem() {
    byte[] bytes = CommandProto.newBuilder().setOrigin(Origin.newBuilder().setMember("Bad Name!").setSeq(1))
        .setRenew(io.ratisfailover.internal.proto.Renew.newBuilder().setEpoch(1).setLeaseMillis(10)).build().toByteArray();
    assertThatThrownBy(() -> Codec.decodeRequest(bytes)).isInstanceOf(Codec.MalformedMessageException.class)
        .hasMessageContaining("Bad Name!");
  }

  @Test
  void aCommandWithoutBodyOrWithAnUnknownStateIsRefused() {
    byte[] empty = CommandProto.newBuilder().setOrigin(Origin.newBuilder().setMember("pg1").setSeq(1)).build().toByteArray();
    assertThatThrownBy(() -> Codec.decodeRequest(empty)).hasMessageContaining("no body");
    byte[] unknownState = CommandProto.newBuilder().setOrigin(Origin.newBuilder().setMember("pg1").setSeq(1))
        .setReportStatus(ReportStatus.newBuilder().setStatus(DatabaseStatusProto.newBuilder().setStateValue(42)))
        .build().toByteArray();
    assertThatThrownBy(() -> Codec.decodeRequest(unknownState)).hasMessageContaining("unknown state");
  }
}

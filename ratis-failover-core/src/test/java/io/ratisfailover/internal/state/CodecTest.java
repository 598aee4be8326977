package io.ratisfailover.internal.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.Epoch;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.Peer;
import io.ratisfailover.ServerParameters;
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
        new Command.Release(Epoch.of(4), Optional.of(Lsn.of(99)), "switchover", Duration.ofMillis(187)),
        new Command.Elect(MemberId.of("pg2"), Epoch.of(5), 123, HistoryEntry.Cause.SWITCHOVER, "planned",
            java.time.Duration.ofMillis(1450)),
        new Command.RecordPromotion(Epoch.of(5), 4, Lsn.of(1000)),
        new Command.SetSynchronous(Epoch.of(5), Set.of(MemberId.of("pg1"))),
        new Command.SetSynchronous(Epoch.of(5), Set.of(MemberId.of("pg1"), MemberId.of("pg2"), MemberId.of("pg3")), 2),
        new Command.ReportStatus(Tags.DEFAULT, "", Map.of(), Optional.of(primary), OptionalLong.of(42), OptionalLong.of(40)),
        new Command.UpdateSettings(ClusterSettings.DEFAULT.withSynchronousMode(SynchronousMode.QUORUM)),
        new Command.SetPause(true),
        new Command.RequestSwitchover(Optional.of(MemberId.of("pg1")), Optional.empty(), Epoch.of(5),
            Optional.of(Instant.parse("2026-12-01T03:00:00Z"))),
        new Command.CancelSwitchover(),
        new Command.UpdateSettings(ClusterSettings.DEFAULT.withSynchronousNodeCount(2)),
        new Command.UpdateSettings(ClusterSettings.DEFAULT.withPostgresql(new ServerParameters(
            Map.of("work_mem", "64MB", "auto_explain.log_min_duration", "1s"),
            List.of("hostssl all all 10.1.0.0/16 cert")))),
        new Command.AddMember(Peer.witness("w2", "10.0.0.9:7001")),
        new Command.RemoveMember(MemberId.of("w1")));
    for (Command c : commands) {
      Request r = new Request(FROM, c);
      assertThat(Codec.decodeRequest(Codec.encode(r))).isEqualTo(r);
    }
  }

  @Test
  void resultsAndSnapshotsSurviveTheWire() {
    ClusterState s = Story.of().bootstrap().elect("pg1").promoted("pg1", 1).synchronous("pg1", "pg2")
        .apply("w1", new Command.SetPause(true)).apply("pg1", new Command.AddMember(Peer.witness("w2", "10.0.0.9:7001")))
        .state();
    assertThat(s.membershipChanges()).isEqualTo(1);
    assertThat(Codec.decodeState(Codec.encode(s))).isEqualTo(s);
    List<io.ratisfailover.Peer> four = List.of(io.ratisfailover.Peer.data("pg1", "h:1"), io.ratisfailover.Peer.data("pg2", "h:2"),
        io.ratisfailover.Peer.data("pg3", "h:3"), io.ratisfailover.Peer.witness("w1", "h:4"));
    ClusterState quorum = Story.of().apply("w1", new Command.Bootstrap("orders", four, ClusterSettings.DEFAULT
            .withSynchronousMode(SynchronousMode.QUORUM))).elect("pg1").promoted("pg1", 1)
        .apply("pg1", new Command.SetSynchronous(Epoch.of(1), Set.of(MemberId.of("pg2"), MemberId.of("pg3")), 1)).state();
    assertThat(quorum.synchronousQuorum()).isEqualTo(1);
    assertThat(Codec.decodeState(Codec.encode(quorum))).isEqualTo(quorum);
    ApplyResult rejected = new ApplyResult(9, Optional.of(Rejection.RENEWED_SINCE), "why", Epoch.of(2), Optional.of(MemberId.of("pg1")));
    assertThat(Codec.decodeResult(Codec.encode(rejected))).isEqualTo(rejected);
  }

  @Test
  void clusterPostgresSettingsAndPendingRestartSurviveASnapshot() {
    ClusterSettings settings = ClusterSettings.DEFAULT.withPostgresql(new ServerParameters(
        Map.of("work_mem", "64MB", "shared_buffers", "256MB"), List.of("host all app 10.0.0.0/8 scram-sha-256")));
    ClusterState s = Story.of().bootstrap().elect("pg1").apply("pg1", new Command.UpdateSettings(settings)).state();
    assertThat(s.settings().postgresql().parameters()).containsEntry("work_mem", "64MB");
    assertThat(Codec.decodeState(Codec.encode(s))).isEqualTo(s);
    DatabaseStatus pending = DatabaseStatus.replica(2, Lsn.of(5), Lsn.of(5), Optional.empty()).withPendingRestart(true);
    assertThat(ProtoValues.status(ProtoValues.status(pending))).isEqualTo(pending);
  }

  /** The durable evidence against a restored older copy of a member's storage (StorageCheck). */
  @Test
  void theIndexAMemberReportedHavingAppliedSurvivesASnapshot() {
    DatabaseStatus replica = DatabaseStatus.replica(2, Lsn.of(5), Lsn.of(5), Optional.empty());
    ClusterState s = Story.of().bootstrap().apply("pg2", new Command.ReportStatus(Tags.DEFAULT, "", Map.of(),
        Optional.of(replica), OptionalLong.of(42))).state();
    assertThat(s.member(MemberId.of("pg2")).orElseThrow().appliedIndex()).isEqualTo(42);
    assertThat(Codec.decodeState(Codec.encode(s))).isEqualTo(s);
  }

  @Test
  void permanentSlotsSurviveASnapshotAndACommand() {
    ClusterSettings settings = ClusterSettings.DEFAULT.withPostgresql(ServerParameters.NONE.withSlots(Map.of(
        "archiver", io.ratisfailover.ReplicationSlot.physical(),
        "orders_cdc", io.ratisfailover.ReplicationSlot.logical("orders", "pgoutput"))));
    ClusterState s = Story.of().bootstrap().elect("pg1").apply("pg1", new Command.UpdateSettings(settings)).state();
    assertThat(s.settings().postgresql().slots()).hasSize(2);
    assertThat(Codec.decodeState(Codec.encode(s))).isEqualTo(s);
    assertThat(Codec.decodeState(Codec.encode(s)).settings().postgresql().slots().get("orders_cdc"))
        .isEqualTo(io.ratisfailover.ReplicationSlot.logical("orders", "pgoutput"));
  }

  @Test
  void settingsWrittenBeforeClusterPostgresSettingsExistedReadAsNone() {
    // A snapshot or an UpdateSettings command of an older version: fields 6 and 7 were unknown then.
    io.ratisfailover.internal.proto.SettingsProto old = io.ratisfailover.internal.proto.SettingsProto.newBuilder()
        .setSynchronousMode(io.ratisfailover.internal.proto.SynchronousModeProto.SYNCHRONOUS_MODE_ON)
        .setSynchronousNodeCount(1).setMaximumLagOnFailover(1024).setPrimaryStartTimeoutMillis(0)
        .setSwitchoverTimeoutMillis(30_000).build();
    byte[] snapshot = io.ratisfailover.internal.proto.ClusterStateProto.newBuilder().setClusterName("orders")
        .setSettings(old).build().toByteArray();
    ClusterSettings read = Codec.decodeState(snapshot).settings();
    assertThat(read.postgresql()).isEqualTo(ServerParameters.NONE);
    assertThat(read.synchronousMode()).isEqualTo(SynchronousMode.ON);
    byte[] command = CommandProto.newBuilder().setOrigin(Origin.newBuilder().setMember("pg1").setSeq(1))
        .setUpdateSettings(io.ratisfailover.internal.proto.UpdateSettings.newBuilder().setSettings(old))
        .build().toByteArray();
    assertThat(((Command.UpdateSettings) Codec.decodeRequest(command).command()).settings().postgresql())
        .isEqualTo(ServerParameters.NONE);
  }

  @Test
  void aReservedParameterOnTheWireIsRefusedNamingIt() {
    byte[] command = CommandProto.newBuilder().setOrigin(Origin.newBuilder().setMember("pg1").setSeq(1))
        .setUpdateSettings(io.ratisfailover.internal.proto.UpdateSettings.newBuilder().setSettings(
            io.ratisfailover.internal.proto.SettingsProto.newBuilder()
                .setSynchronousMode(io.ratisfailover.internal.proto.SynchronousModeProto.SYNCHRONOUS_MODE_OFF)
                .setSynchronousNodeCount(1).setSwitchoverTimeoutMillis(1000)
                .putPostgresqlParameters("primary_conninfo", "host=evil")))
        .build().toByteArray();
    assertThatThrownBy(() -> Codec.decodeRequest(command)).isInstanceOf(Codec.MalformedMessageException.class)
        .hasMessageContaining("primary_conninfo");
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

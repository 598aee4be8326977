package io.ratisfailover.internal.state;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.ReplicationSlot;
import io.ratisfailover.ServerParameters;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.Tags;
import io.ratisfailover.internal.proto.DatabaseStateProto;
import io.ratisfailover.internal.proto.DatabaseStatusProto;
import io.ratisfailover.internal.proto.ElectionCauseProto;
import io.ratisfailover.internal.proto.MemberKindProto;
import io.ratisfailover.internal.proto.PeerProto;
import io.ratisfailover.internal.proto.ReplicaProto;
import io.ratisfailover.internal.proto.SettingsProto;
import io.ratisfailover.internal.proto.SlotProto;
import io.ratisfailover.internal.proto.SlotTypeProto;
import io.ratisfailover.internal.proto.SyncStateProto;
import io.ratisfailover.internal.proto.SynchronousModeProto;
import io.ratisfailover.internal.proto.TagsProto;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.ReplicaInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/** The values commands and snapshots share (origins, peers, tags, settings, statuses), to and from Protobuf. */
final class ProtoValues {
  private ProtoValues() {}

  static io.ratisfailover.internal.proto.Origin origin(Origin o) {
    return io.ratisfailover.internal.proto.Origin.newBuilder().setMember(o.member().value())
        .setIncarnation(o.incarnation()).setSeq(o.seq()).setSentAtMillis(o.sentAtMillis()).build();
  }

  static Origin origin(io.ratisfailover.internal.proto.Origin p) {
    return new Origin(MemberId.of(p.getMember()), p.getIncarnation(), p.getSeq(), p.getSentAtMillis());
  }

  static PeerProto peer(Peer p) {
    return PeerProto.newBuilder().setId(p.id().value()).setKind(p.kind() == MemberKind.DATA
        ? MemberKindProto.MEMBER_KIND_DATA : MemberKindProto.MEMBER_KIND_WITNESS).setRaftAddress(p.raftAddress()).build();
  }

  static Peer peer(PeerProto p) {
    MemberKind kind;
    switch (p.getKind()) {
      case MEMBER_KIND_DATA: kind = MemberKind.DATA; break;
      case MEMBER_KIND_WITNESS: kind = MemberKind.WITNESS; break;
      default: throw new IllegalArgumentException("peer " + p.getId() + " has unknown kind " + p.getKind());
    }
    return new Peer(MemberId.of(p.getId()), kind, p.getRaftAddress());
  }

  static TagsProto tags(Tags t) {
    return TagsProto.newBuilder().setNoFailover(t.noFailover()).setNoLoadBalance(t.noLoadBalance())
        .setNoSync(t.noSync()).setFailoverPriority(t.failoverPriority()).putAllCustom(t.custom()).build();
  }

  static Tags tags(TagsProto p) {
    return new Tags(p.getNoFailover(), p.getNoLoadBalance(), p.getNoSync(), p.getFailoverPriority(), p.getCustomMap());
  }

  static SettingsProto settings(ClusterSettings s) {
    SynchronousModeProto mode;
    switch (s.synchronousMode()) {
      case OFF: mode = SynchronousModeProto.SYNCHRONOUS_MODE_OFF; break;
      case ON: mode = SynchronousModeProto.SYNCHRONOUS_MODE_ON; break;
      case STRICT: mode = SynchronousModeProto.SYNCHRONOUS_MODE_STRICT; break;
      case QUORUM: mode = SynchronousModeProto.SYNCHRONOUS_MODE_QUORUM; break;
      default: throw new IllegalArgumentException("unknown synchronous mode " + s.synchronousMode());
    }
    return SettingsProto.newBuilder().setSynchronousMode(mode).setSynchronousNodeCount(s.synchronousNodeCount())
        .setMaximumLagOnFailover(s.maximumLagOnFailover())
        .setPrimaryStartTimeoutMillis(s.primaryStartTimeout().toMillis())
        .setSwitchoverTimeoutMillis(s.switchoverTimeout().toMillis())
        .putAllPostgresqlParameters(s.postgresql().parameters()).addAllPostgresqlPgHba(s.postgresql().pgHba())
        .putAllSlots(slots(s.postgresql().slots())).build();
  }

  private static Map<String, SlotProto> slots(Map<String, ReplicationSlot> slots) {
    Map<String, SlotProto> out = new LinkedHashMap<>();
    slots.forEach((name, slot) -> out.put(name, SlotProto.newBuilder()
        .setType(slot.isLogical() ? SlotTypeProto.SLOT_TYPE_LOGICAL : SlotTypeProto.SLOT_TYPE_PHYSICAL)
        .setDatabase(slot.database().orElse("")).setPlugin(slot.plugin().orElse("")).build()));
    return out;
  }

  private static Map<String, ReplicationSlot> slots(SettingsProto p) {
    Map<String, ReplicationSlot> out = new LinkedHashMap<>();
    p.getSlotsMap().forEach((name, slot) -> {
      switch (slot.getType()) {
        case SLOT_TYPE_PHYSICAL -> out.put(name, ReplicationSlot.physical());
        case SLOT_TYPE_LOGICAL -> out.put(name, ReplicationSlot.logical(slot.getDatabase(), slot.getPlugin()));
        default -> throw new IllegalArgumentException("slot " + name + " has an unknown type " + slot.getType());
      }
    });
    return out;
  }

  static ClusterSettings settings(SettingsProto p) {
    SynchronousMode mode;
    switch (p.getSynchronousMode()) {
      case SYNCHRONOUS_MODE_OFF: mode = SynchronousMode.OFF; break;
      case SYNCHRONOUS_MODE_ON: mode = SynchronousMode.ON; break;
      case SYNCHRONOUS_MODE_STRICT: mode = SynchronousMode.STRICT; break;
      case SYNCHRONOUS_MODE_QUORUM: mode = SynchronousMode.QUORUM; break;
      default: throw new IllegalArgumentException("unknown synchronous mode " + p.getSynchronousMode());
    }
    return new ClusterSettings(mode, p.getSynchronousNodeCount(), p.getMaximumLagOnFailover(),
        Duration.ofMillis(p.getPrimaryStartTimeoutMillis()), Duration.ofMillis(p.getSwitchoverTimeoutMillis()),
        new ServerParameters(p.getPostgresqlParametersMap(), p.getPostgresqlPgHbaList(), slots(p)));
  }

  static DatabaseStatusProto status(DatabaseStatus s) {
    DatabaseStatusProto.Builder b = DatabaseStatusProto.newBuilder()
        .setState(DatabaseStateProto.valueOf("DATABASE_STATE_" + s.state().name())).setTimeline(s.timeline())
        .setWriteLsn(s.writeLsn().value()).setReceivedLsn(s.receivedLsn().value())
        .setReplayedLsn(s.replayedLsn().value()).setUpstream(s.upstream().map(MemberId::value).orElse(""))
        .setSystemIdentifier(s.systemIdentifier().orElse("")).addAllSynchronousStandbys(names(s.synchronousStandbys()))
        .setDetail(s.detail()).setPendingRestart(s.pendingRestart());
    for (ReplicaInfo r : s.replicas()) {
      b.addReplicas(ReplicaProto.newBuilder().setMember(r.member().value()).setStreaming(r.streaming())
          .setSyncState(SyncStateProto.valueOf("SYNC_STATE_" + r.syncState().name()))
          .setFlushLsn(r.flushLsn().value()).setReplayLsn(r.replayLsn().value()));
    }
    return b.build();
  }

  static DatabaseStatus status(DatabaseStatusProto p) {
    if (p.getState() == DatabaseStateProto.DATABASE_STATE_UNSPECIFIED || p.getState() == DatabaseStateProto.UNRECOGNIZED) {
      throw new IllegalArgumentException("database status has unknown state " + p.getState());
    }
    DatabaseState state = DatabaseState.valueOf(p.getState().name().substring("DATABASE_STATE_".length()));
    List<ReplicaInfo> replicas = new ArrayList<>();
    for (ReplicaProto r : p.getReplicasList()) {
      if (r.getSyncState() == SyncStateProto.SYNC_STATE_UNSPECIFIED || r.getSyncState() == SyncStateProto.UNRECOGNIZED) {
        throw new IllegalArgumentException("replica " + r.getMember() + " has unknown sync state");
      }
      replicas.add(new ReplicaInfo(MemberId.of(r.getMember()), r.getStreaming(),
          ReplicaInfo.SyncState.valueOf(r.getSyncState().name().substring("SYNC_STATE_".length())),
          Lsn.of(r.getFlushLsn()), Lsn.of(r.getReplayLsn())));
    }
    return new DatabaseStatus(state, p.getTimeline(), Lsn.of(p.getWriteLsn()), Lsn.of(p.getReceivedLsn()),
        Lsn.of(p.getReplayedLsn()), optionalMember(p.getUpstream()),
        p.getSystemIdentifier().isEmpty() ? Optional.empty() : Optional.of(p.getSystemIdentifier()),
        replicas, memberSet(p.getSynchronousStandbysList()), p.getDetail(), p.getPendingRestart());
  }

  static ElectionCauseProto cause(HistoryEntry.Cause c) {
    return ElectionCauseProto.valueOf("ELECTION_CAUSE_" + c.name());
  }

  static HistoryEntry.Cause cause(ElectionCauseProto p) {
    if (p == ElectionCauseProto.ELECTION_CAUSE_UNSPECIFIED || p == ElectionCauseProto.UNRECOGNIZED) {
      throw new IllegalArgumentException("unknown election cause " + p);
    }
    return HistoryEntry.Cause.valueOf(p.name().substring("ELECTION_CAUSE_".length()));
  }

  static Optional<MemberId> optionalMember(String s) {
    return s.isEmpty() ? Optional.empty() : Optional.of(MemberId.of(s));
  }

  static Optional<ClusterCa> optionalCa(ByteString der) {
    return der.isEmpty() ? Optional.empty() : Optional.of(new ClusterCa(der));
  }

  static Optional<Lsn> optionalLsn(long v) {
    return v == 0 ? Optional.empty() : Optional.of(Lsn.of(v));
  }

  static Set<MemberId> memberSet(List<String> names) {
    return names.stream().map(MemberId::of).collect(Collectors.toUnmodifiableSet());
  }

  static List<String> names(Set<MemberId> members) {
    return members.stream().map(MemberId::value).sorted().toList();
  }

  /** A synchronous quorum as the wire carries it: 0 (or absent, from older members) means every one of {@code members}. */
  static int quorum(Set<MemberId> members, int wire) {
    return wire == 0 ? members.size() : wire;
  }
}

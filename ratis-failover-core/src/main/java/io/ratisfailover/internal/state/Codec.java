package io.ratisfailover.internal.state;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ratisfailover.ClusterSettings;
import io.ratisfailover.Epoch;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.PendingSwitchover;
import io.ratisfailover.Peer;
import io.ratisfailover.ReplicationSlot;
import io.ratisfailover.ServerParameters;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.Tags;
import io.ratisfailover.internal.proto.ApplyResultProto;
import io.ratisfailover.internal.proto.ClusterStateProto;
import io.ratisfailover.internal.proto.CommandProto;
import io.ratisfailover.internal.proto.DatabaseStateProto;
import io.ratisfailover.internal.proto.DatabaseStatusProto;
import io.ratisfailover.internal.proto.ElectionCauseProto;
import io.ratisfailover.internal.proto.HistoryEntryProto;
import io.ratisfailover.internal.proto.MemberKindProto;
import io.ratisfailover.internal.proto.MemberProto;
import io.ratisfailover.internal.proto.PeerProto;
import io.ratisfailover.internal.proto.ReplicaProto;
import io.ratisfailover.internal.proto.SettingsProto;
import io.ratisfailover.internal.proto.SlotProto;
import io.ratisfailover.internal.proto.SlotTypeProto;
import io.ratisfailover.internal.proto.SignedCommand;
import io.ratisfailover.internal.proto.SwitchoverProto;
import io.ratisfailover.internal.proto.SyncStateProto;
import io.ratisfailover.internal.proto.SynchronousModeProto;
import io.ratisfailover.internal.proto.TagsProto;
import io.ratisfailover.internal.proto.VerdictProto;
import io.ratisfailover.spi.DatabaseState;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.ReplicaInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Translates between our records and the Protobuf wire format ({@code ratis_failover.proto}).
 * Decoding is strict: anything a record would refuse, or an enum value this version does not
 * know, fails with {@link MalformedMessageException} naming the field.
 */
public final class Codec {
  private Codec() {}

  /** Bytes that do not decode to a valid message. */
  public static final class MalformedMessageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MalformedMessageException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  // --- requests -----------------------------------------------------------------------------

  /** A log entry: the signed envelope when the request is sealed, else origin and command. */
  public static byte[] encode(Request request) {
    if (request.seal().isPresent()) {
      Seal seal = request.seal().get();
      return CommandProto.newBuilder().setSigned(SignedCommand.newBuilder().setCommand(seal.signedCommand())
          .setSignature(seal.signature()).addAllCertificates(seal.certificates())).build().toByteArray();
    }
    return unsigned(request.origin(), request.command()).toByteArray();
  }

  /** The bytes a sender signs: origin and command, encoded once; the receiver verifies exactly these. */
  public static ByteString encodeForSigning(Origin origin, Command command) {
    return unsigned(origin, command).toByteString();
  }

  private static CommandProto unsigned(Origin origin, Command c) {
    CommandProto.Builder b = CommandProto.newBuilder().setOrigin(origin(origin));
    if (c instanceof Command.Bootstrap x) {
      var body = io.ratisfailover.internal.proto.Bootstrap.newBuilder().setClusterName(x.clusterName())
          .setSettings(settings(x.settings()));
      x.peers().forEach(p -> body.addPeers(peer(p)));
      x.ca().ifPresent(ca -> body.setCaCertificate(ca.der()));
      b.setBootstrap(body);
    } else if (c instanceof Command.ReportStatus x) {
      var body = io.ratisfailover.internal.proto.ReportStatus.newBuilder().setTags(tags(x.tags()))
          .setApiUrl(x.apiUrl()).putAllAttributes(x.attributes());
      x.status().ifPresent(s -> body.setStatus(status(s)));
      x.appliedIndex().ifPresent(body::setAppliedIndex);
      b.setReportStatus(body);
    } else if (c instanceof Command.Renew x) {
      b.setRenew(io.ratisfailover.internal.proto.Renew.newBuilder().setEpoch(x.epoch().value())
          .setLeaseMillis(x.leaseMillis()));
    } else if (c instanceof Command.Release x) {
      b.setRelease(io.ratisfailover.internal.proto.Release.newBuilder().setEpoch(x.epoch().value())
          .setLsn(x.lsn().map(Lsn::value).orElse(0L)).setReason(x.reason()));
    } else if (c instanceof Command.Elect x) {
      b.setElect(io.ratisfailover.internal.proto.Elect.newBuilder().setCandidate(x.candidate().value())
          .setEpoch(x.epoch().value()).setExpectedRenewalIndex(x.expectedRenewalIndex()).setCause(cause(x.cause()))
          .setReason(x.reason()).setPredecessorSilentMillis(x.predecessorSilent().toMillis()));
    } else if (c instanceof Command.RecordPromotion x) {
      b.setRecordPromotion(io.ratisfailover.internal.proto.RecordPromotion.newBuilder().setEpoch(x.epoch().value())
          .setTimeline(x.timeline()).setLsn(x.lsn().value()));
    } else if (c instanceof Command.SetSynchronous x) {
      b.setSetSynchronous(io.ratisfailover.internal.proto.SetSynchronous.newBuilder().setEpoch(x.epoch().value())
          .addAllMembers(names(x.members())));
    } else if (c instanceof Command.SetPause x) {
      b.setSetPause(io.ratisfailover.internal.proto.SetPause.newBuilder().setPaused(x.paused()));
    } else if (c instanceof Command.RequestSwitchover x) {
      b.setRequestSwitchover(io.ratisfailover.internal.proto.RequestSwitchover.newBuilder()
          .setFrom(x.from().map(MemberId::value).orElse("")).setTo(x.to().map(MemberId::value).orElse(""))
          .setEpoch(x.epoch().value()).setScheduledAtMillis(x.scheduledAt().map(Instant::toEpochMilli).orElse(0L)));
    } else if (c instanceof Command.CancelSwitchover) {
      b.setCancelSwitchover(io.ratisfailover.internal.proto.CancelSwitchover.getDefaultInstance());
    } else if (c instanceof Command.UpdateSettings x) {
      b.setUpdateSettings(io.ratisfailover.internal.proto.UpdateSettings.newBuilder().setSettings(settings(x.settings())));
    } else {
      throw new IllegalArgumentException("no encoding for " + c.getClass().getSimpleName());
    }
    return b.build();
  }

  public static Request decodeRequest(byte[] bytes) {
    CommandProto p = parseCommand(bytes, "command");
    if (!p.hasSigned()) {
      return guard("command", () -> new Request(origin(p.getOrigin()), command(p)));
    }
    if (p.hasOrigin() || p.getBodyCase() != CommandProto.BodyCase.BODY_NOT_SET) {
      throw new MalformedMessageException("signed command also carries an unsigned origin or body", null);
    }
    SignedCommand signed = p.getSigned();
    Request inner = decodeSigned(signed.getCommand());
    return new Request(inner.origin(), inner.command(), Optional.of(new Seal(signed.getCommand(), signed.getSignature(),
        signed.getCertificatesList())));
  }

  /** Origin and command from the bytes a seal covers; they must not be signed again. */
  public static Request decodeSigned(ByteString signedCommand) {
    CommandProto p = parseCommand(signedCommand.toByteArray(), "signed command");
    if (p.hasSigned()) {
      throw new MalformedMessageException("signed command is signed twice", null);
    }
    return guard("signed command", () -> new Request(origin(p.getOrigin()), command(p)));
  }

  private static CommandProto parseCommand(byte[] bytes, String what) {
    try {
      return CommandProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new MalformedMessageException(what + " is not a valid CommandProto: " + e.getMessage(), e);
    }
  }

  private static Command command(CommandProto p) {
    switch (p.getBodyCase()) {
      case BOOTSTRAP: {
        var x = p.getBootstrap();
        return new Command.Bootstrap(x.getClusterName(), x.getPeersList().stream().map(Codec::peer).toList(),
            settings(x.getSettings()), optionalCa(x.getCaCertificate()));
      }
      case REPORT_STATUS: {
        var x = p.getReportStatus();
        return new Command.ReportStatus(tags(x.getTags()), x.getApiUrl(), x.getAttributesMap(),
            x.hasStatus() ? Optional.of(status(x.getStatus())) : Optional.empty(),
            x.hasAppliedIndex() ? OptionalLong.of(x.getAppliedIndex()) : OptionalLong.empty());
      }
      case RENEW:
        return new Command.Renew(Epoch.of(p.getRenew().getEpoch()), p.getRenew().getLeaseMillis());
      case RELEASE: {
        var x = p.getRelease();
        return new Command.Release(Epoch.of(x.getEpoch()), optionalLsn(x.getLsn()), x.getReason());
      }
      case ELECT: {
        var x = p.getElect();
        return new Command.Elect(MemberId.of(x.getCandidate()), Epoch.of(x.getEpoch()), x.getExpectedRenewalIndex(),
            cause(x.getCause()), x.getReason(), Duration.ofMillis(Math.max(0, x.getPredecessorSilentMillis())));
      }
      case RECORD_PROMOTION: {
        var x = p.getRecordPromotion();
        return new Command.RecordPromotion(Epoch.of(x.getEpoch()), x.getTimeline(), Lsn.of(x.getLsn()));
      }
      case SET_SYNCHRONOUS: {
        var x = p.getSetSynchronous();
        return new Command.SetSynchronous(Epoch.of(x.getEpoch()), memberSet(x.getMembersList()));
      }
      case SET_PAUSE:
        return new Command.SetPause(p.getSetPause().getPaused());
      case REQUEST_SWITCHOVER: {
        var x = p.getRequestSwitchover();
        return new Command.RequestSwitchover(optionalMember(x.getFrom()), optionalMember(x.getTo()),
            Epoch.of(x.getEpoch()), x.getScheduledAtMillis() == 0 ? Optional.empty()
                : Optional.of(Instant.ofEpochMilli(x.getScheduledAtMillis())));
      }
      case CANCEL_SWITCHOVER:
        return new Command.CancelSwitchover();
      case UPDATE_SETTINGS:
        return new Command.UpdateSettings(settings(p.getUpdateSettings().getSettings()));
      case BODY_NOT_SET:
      default:
        throw new IllegalArgumentException("command has no body this version knows (" + p.getBodyCase() + ")");
    }
  }

  // --- results ------------------------------------------------------------------------------

  public static byte[] encode(ApplyResult r) {
    return ApplyResultProto.newBuilder()
        .setVerdict(r.applied() ? VerdictProto.VERDICT_APPLIED : VerdictProto.VERDICT_REJECTED)
        .setRejection(r.rejection().map(Enum::name).orElse("")).setReason(r.reason()).setIndex(r.index())
        .setEpoch(r.epoch().value()).setPrimary(r.primary().map(MemberId::value).orElse(""))
        .build().toByteArray();
  }

  public static ApplyResult decodeResult(byte[] bytes) {
    ApplyResultProto p;
    try {
      p = ApplyResultProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new MalformedMessageException("result is not a valid ApplyResultProto: " + e.getMessage(), e);
    }
    return guard("result", () -> {
      Optional<Rejection> rejection;
      switch (p.getVerdict()) {
        case VERDICT_APPLIED: rejection = Optional.empty(); break;
        case VERDICT_REJECTED: rejection = Optional.of(Rejection.valueOf(p.getRejection())); break;
        default: throw new IllegalArgumentException("unknown verdict " + p.getVerdict());
      }
      return new ApplyResult(p.getIndex(), rejection, p.getReason(), Epoch.of(p.getEpoch()),
          optionalMember(p.getPrimary()));
    });
  }

  // --- snapshots ----------------------------------------------------------------------------

  public static byte[] encode(ClusterState s) {
    ClusterStateProto.Builder b = ClusterStateProto.newBuilder().setClusterName(s.clusterName())
        .setSettings(settings(s.settings())).setEpoch(s.epoch().value())
        .setPrimary(s.primary().map(MemberId::value).orElse("")).setLastRenewalIndex(s.lastRenewalIndex())
        .setRenewedAtMillis(s.renewedAtMillis()).setLeaseMillis(s.leaseMillis())
        .setReleasedLsn(s.releasedLsn().map(Lsn::value).orElse(0L)).setReleaseReason(s.releaseReason())
        .addAllSynchronousStandbys(names(s.synchronousStandbys())).setPaused(s.paused())
        .setLastLeaseHolder(s.lastLeaseHolder().map(MemberId::value).orElse("")).setLastLeaseEpoch(s.lastLeaseEpoch().value());
    s.ca().ifPresent(ca -> b.setCaCertificate(ca.der()));
    for (MemberRecord m : s.members().values()) {
      MemberProto.Builder mb = MemberProto.newBuilder().setPeer(peer(m.peer())).setTags(tags(m.tags()))
          .setApiUrl(m.apiUrl()).putAllAttributes(m.attributes()).setStatusIndex(m.statusIndex())
          .setIncarnation(m.incarnation()).setSeq(m.seq());
      m.status().ifPresent(st -> mb.setStatus(status(st)));
      b.addMembers(mb);
    }
    s.switchover().ifPresent(w -> b.setSwitchover(SwitchoverProto.newBuilder()
        .setFrom(w.from().map(MemberId::value).orElse("")).setTo(w.to().map(MemberId::value).orElse(""))
        .setEpoch(w.epoch().value()).setScheduledAtMillis(w.scheduledAt().map(Instant::toEpochMilli).orElse(0L))
        .setRequestedAtMillis(w.requestedAt().toEpochMilli())));
    for (HistoryEntry h : s.history()) {
      b.addHistory(HistoryEntryProto.newBuilder().setEpoch(h.epoch().value()).setMember(h.member().value())
          .setCause(cause(h.cause())).setReason(h.reason()).setElectedAtMillis(h.electedAt().toEpochMilli())
          .setTimeline(h.timeline())
          .setLsn(h.switchLsn().map(Lsn::value).orElse(0L)));
    }
    return b.build().toByteArray();
  }

  public static ClusterState decodeState(byte[] bytes) {
    ClusterStateProto p;
    try {
      p = ClusterStateProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new MalformedMessageException("snapshot is not a valid ClusterStateProto: " + e.getMessage(), e);
    }
    return guard("snapshot", () -> {
      ClusterState.Builder b = ClusterState.EMPTY.toBuilder().clusterName(p.getClusterName())
          .settings(p.hasSettings() ? settings(p.getSettings()) : ClusterSettings.DEFAULT).epoch(Epoch.of(p.getEpoch()))
          .primary(optionalMember(p.getPrimary())).lastRenewalIndex(p.getLastRenewalIndex())
          .renewedAtMillis(p.getRenewedAtMillis()).leaseMillis(p.getLeaseMillis())
          .releasedLsn(optionalLsn(p.getReleasedLsn())).releaseReason(p.getReleaseReason())
          .synchronousStandbys(memberSet(p.getSynchronousStandbysList())).paused(p.getPaused())
          .ca(optionalCa(p.getCaCertificate()));
      for (MemberProto m : p.getMembersList()) {
        b.member(new MemberRecord(peer(m.getPeer()), tags(m.getTags()), m.getApiUrl(), m.getAttributesMap(),
            m.hasStatus() ? Optional.of(status(m.getStatus())) : Optional.empty(), m.getStatusIndex(),
            m.getIncarnation(), m.getSeq()));
      }
      if (p.hasSwitchover()) {
        SwitchoverProto w = p.getSwitchover();
        b.switchover(Optional.of(new PendingSwitchover(optionalMember(w.getFrom()), optionalMember(w.getTo()),
            Epoch.of(w.getEpoch()), w.getScheduledAtMillis() == 0 ? Optional.empty()
                : Optional.of(Instant.ofEpochMilli(w.getScheduledAtMillis())),
            Instant.ofEpochMilli(w.getRequestedAtMillis()))));
      }
      for (HistoryEntryProto h : p.getHistoryList()) {
        b.appendHistory(new HistoryEntry(Epoch.of(h.getEpoch()), MemberId.of(h.getMember()), cause(h.getCause()), h.getReason(),
            Instant.ofEpochMilli(h.getElectedAtMillis()), h.getTimeline(), optionalLsn(h.getLsn())));
      }
      if (p.hasLastLeaseHolder()) {
        b.lastLease(optionalMember(p.getLastLeaseHolder()), Epoch.of(p.getLastLeaseEpoch()));
      } else if (p.getHistoryCount() > 0) {
        HistoryEntryProto last = p.getHistory(p.getHistoryCount() - 1);
        b.lastLease(Optional.of(MemberId.of(last.getMember())), Epoch.of(last.getEpoch()));
      }
      return b.build();
    });
  }

  // --- pieces -------------------------------------------------------------------------------

  private static io.ratisfailover.internal.proto.Origin origin(Origin o) {
    return io.ratisfailover.internal.proto.Origin.newBuilder().setMember(o.member().value())
        .setIncarnation(o.incarnation()).setSeq(o.seq()).setSentAtMillis(o.sentAtMillis()).build();
  }

  private static Origin origin(io.ratisfailover.internal.proto.Origin p) {
    return new Origin(MemberId.of(p.getMember()), p.getIncarnation(), p.getSeq(), p.getSentAtMillis());
  }

  private static PeerProto peer(Peer p) {
    return PeerProto.newBuilder().setId(p.id().value()).setKind(p.kind() == MemberKind.DATA
        ? MemberKindProto.MEMBER_KIND_DATA : MemberKindProto.MEMBER_KIND_WITNESS).setRaftAddress(p.raftAddress()).build();
  }

  private static Peer peer(PeerProto p) {
    MemberKind kind;
    switch (p.getKind()) {
      case MEMBER_KIND_DATA: kind = MemberKind.DATA; break;
      case MEMBER_KIND_WITNESS: kind = MemberKind.WITNESS; break;
      default: throw new IllegalArgumentException("peer " + p.getId() + " has unknown kind " + p.getKind());
    }
    return new Peer(MemberId.of(p.getId()), kind, p.getRaftAddress());
  }

  private static TagsProto tags(Tags t) {
    return TagsProto.newBuilder().setNoFailover(t.noFailover()).setNoLoadBalance(t.noLoadBalance())
        .setNoSync(t.noSync()).setFailoverPriority(t.failoverPriority()).putAllCustom(t.custom()).build();
  }

  private static Tags tags(TagsProto p) {
    return new Tags(p.getNoFailover(), p.getNoLoadBalance(), p.getNoSync(), p.getFailoverPriority(), p.getCustomMap());
  }

  private static SettingsProto settings(ClusterSettings s) {
    SynchronousModeProto mode;
    switch (s.synchronousMode()) {
      case OFF: mode = SynchronousModeProto.SYNCHRONOUS_MODE_OFF; break;
      case ON: mode = SynchronousModeProto.SYNCHRONOUS_MODE_ON; break;
      case STRICT: mode = SynchronousModeProto.SYNCHRONOUS_MODE_STRICT; break;
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

  private static ClusterSettings settings(SettingsProto p) {
    SynchronousMode mode;
    switch (p.getSynchronousMode()) {
      case SYNCHRONOUS_MODE_OFF: mode = SynchronousMode.OFF; break;
      case SYNCHRONOUS_MODE_ON: mode = SynchronousMode.ON; break;
      case SYNCHRONOUS_MODE_STRICT: mode = SynchronousMode.STRICT; break;
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

  private static ElectionCauseProto cause(HistoryEntry.Cause c) {
    return ElectionCauseProto.valueOf("ELECTION_CAUSE_" + c.name());
  }

  private static HistoryEntry.Cause cause(ElectionCauseProto p) {
    if (p == ElectionCauseProto.ELECTION_CAUSE_UNSPECIFIED || p == ElectionCauseProto.UNRECOGNIZED) {
      throw new IllegalArgumentException("unknown election cause " + p);
    }
    return HistoryEntry.Cause.valueOf(p.name().substring("ELECTION_CAUSE_".length()));
  }

  private static Optional<MemberId> optionalMember(String s) {
    return s.isEmpty() ? Optional.empty() : Optional.of(MemberId.of(s));
  }

  private static Optional<ClusterCa> optionalCa(ByteString der) {
    return der.isEmpty() ? Optional.empty() : Optional.of(new ClusterCa(der));
  }

  private static Optional<Lsn> optionalLsn(long v) {
    return v == 0 ? Optional.empty() : Optional.of(Lsn.of(v));
  }

  private static Set<MemberId> memberSet(List<String> names) {
    return names.stream().map(MemberId::of).collect(Collectors.toUnmodifiableSet());
  }

  private static List<String> names(Set<MemberId> members) {
    return members.stream().map(MemberId::value).sorted().toList();
  }

  private interface Decoder<T> {
    T decode();
  }

  /** Turns a record's validation failure into a {@link MalformedMessageException} naming what failed. */
  private static <T> T guard(String what, Decoder<T> decoder) {
    try {
      return decoder.decode();
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new MalformedMessageException(what + " is invalid: " + e.getMessage(), e);
    }
  }
}

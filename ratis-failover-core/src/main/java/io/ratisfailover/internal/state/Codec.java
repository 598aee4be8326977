package io.ratisfailover.internal.state;

import static io.ratisfailover.internal.state.ProtoValues.cause;
import static io.ratisfailover.internal.state.ProtoValues.memberSet;
import static io.ratisfailover.internal.state.ProtoValues.names;
import static io.ratisfailover.internal.state.ProtoValues.optionalCa;
import static io.ratisfailover.internal.state.ProtoValues.optionalLsn;
import static io.ratisfailover.internal.state.ProtoValues.optionalMember;
import static io.ratisfailover.internal.state.ProtoValues.origin;
import static io.ratisfailover.internal.state.ProtoValues.peer;
import static io.ratisfailover.internal.state.ProtoValues.quorum;
import static io.ratisfailover.internal.state.ProtoValues.settings;
import static io.ratisfailover.internal.state.ProtoValues.status;
import static io.ratisfailover.internal.state.ProtoValues.tags;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.Epoch;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.PendingSwitchover;
import io.ratisfailover.internal.proto.ApplyResultProto;
import io.ratisfailover.internal.proto.ClusterStateProto;
import io.ratisfailover.internal.proto.CommandProto;
import io.ratisfailover.internal.proto.HistoryEntryProto;
import io.ratisfailover.internal.proto.MemberProto;
import io.ratisfailover.internal.proto.SignedCommand;
import io.ratisfailover.internal.proto.SwitchoverProto;
import io.ratisfailover.internal.proto.VerdictProto;
import java.time.Instant;
import java.util.Optional;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.InvalidProtocolBufferException;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

/**
 * Translates between our records and the Protobuf wire format ({@code ratis_failover.proto}): log
 * entries ({@link CommandCodec} for their bodies), results and snapshots, with the shared values in
 * {@link ProtoValues}.
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
    return CommandCodec.encode(request.origin(), request.command()).toByteArray();
  }

  /** The bytes a sender signs: origin and command, encoded once; the receiver verifies exactly these. */
  public static ByteString encodeForSigning(Origin origin, Command command) {
    return CommandCodec.encode(origin, command).toByteString();
  }

  public static Request decodeRequest(byte[] bytes) {
    return decodeRequest(wrap(bytes));
  }

  /** Parsed in place: Ratis hands log entries and replies over as a ByteString of this same (shaded) protobuf. */
  public static Request decodeRequest(ByteString bytes) {
    CommandProto p = parseCommand(bytes, "command");
    if (!p.hasSigned()) {
      return guard("command", () -> new Request(origin(p.getOrigin()), CommandCodec.decode(p)));
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
    CommandProto p = parseCommand(signedCommand, "signed command");
    if (p.hasSigned()) {
      throw new MalformedMessageException("signed command is signed twice", null);
    }
    return guard("signed command", () -> new Request(origin(p.getOrigin()), CommandCodec.decode(p)));
  }

  private static CommandProto parseCommand(ByteString bytes, String what) {
    try {
      return CommandProto.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new MalformedMessageException(what + " is not a valid CommandProto: " + e.getMessage(), e);
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
    return decodeResult(wrap(bytes));
  }

  public static ApplyResult decodeResult(ByteString bytes) {
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
        .setSynchronousQuorum(s.synchronousQuorumRecorded() ? s.synchronousQuorum() : 0)
        .setLastLeaseHolder(s.lastLeaseHolder().map(MemberId::value).orElse("")).setLastLeaseEpoch(s.lastLeaseEpoch().value());
    s.ca().ifPresent(ca -> b.setCaCertificate(ca.der()));
    b.setMembershipChanges(s.membershipChanges());
    for (MemberRecord m : s.members().values()) {
      MemberProto.Builder mb = MemberProto.newBuilder().setPeer(peer(m.peer())).setTags(tags(m.tags()))
          .setApiUrl(m.apiUrl()).putAllAttributes(m.attributes()).setStatusIndex(m.statusIndex())
          .setAppliedIndex(m.appliedIndex()).setIncarnation(m.incarnation()).setSeq(m.seq());
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
    return decodeState(wrap(bytes));
  }

  public static ClusterState decodeState(ByteString bytes) {
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
          .synchronousStandbys(memberSet(p.getSynchronousStandbysList()),
              quorum(memberSet(p.getSynchronousStandbysList()), p.getSynchronousQuorum())).paused(p.getPaused())
          .ca(optionalCa(p.getCaCertificate())).membershipChanges(p.getMembershipChanges());
      for (MemberProto m : p.getMembersList()) {
        b.member(new MemberRecord(peer(m.getPeer()), tags(m.getTags()), m.getApiUrl(), m.getAttributesMap(),
            m.hasStatus() ? Optional.of(status(m.getStatus())) : Optional.empty(), m.getStatusIndex(),
            m.getAppliedIndex(), m.getIncarnation(), m.getSeq()));
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

  /**
   * The caller's bytes without a copy: they are only read, while being parsed, and the parser copies
   * whatever it keeps (aliasing is off).
   */
  private static ByteString wrap(byte[] bytes) {
    return UnsafeByteOperations.unsafeWrap(bytes);
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

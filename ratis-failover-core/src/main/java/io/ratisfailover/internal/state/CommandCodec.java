package io.ratisfailover.internal.state;

import static io.ratisfailover.internal.state.ProtoValues.cause;
import static io.ratisfailover.internal.state.ProtoValues.memberSet;
import static io.ratisfailover.internal.state.ProtoValues.names;
import static io.ratisfailover.internal.state.ProtoValues.optionalCa;
import static io.ratisfailover.internal.state.ProtoValues.optionalLsn;
import static io.ratisfailover.internal.state.ProtoValues.optionalMember;
import static io.ratisfailover.internal.state.ProtoValues.origin;
import static io.ratisfailover.internal.state.ProtoValues.peer;
import static io.ratisfailover.internal.state.ProtoValues.settings;
import static io.ratisfailover.internal.state.ProtoValues.status;
import static io.ratisfailover.internal.state.ProtoValues.tags;

import io.ratisfailover.Epoch;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.internal.proto.CommandProto;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/** The commands of the log in their wire form: one Protobuf body per {@link Command}. */
final class CommandCodec {
  private CommandCodec() {}

  /** Origin and command, unsigned. */
  static CommandProto encode(Origin origin, Command c) {
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
      x.sampledAfterIndex().ifPresent(body::setSampledAfterIndex);
      b.setReportStatus(body);
    } else if (c instanceof Command.Renew x) {
      b.setRenew(io.ratisfailover.internal.proto.Renew.newBuilder().setEpoch(x.epoch().value())
          .setLeaseMillis(x.leaseMillis()));
    } else if (c instanceof Command.Release x) {
      b.setRelease(io.ratisfailover.internal.proto.Release.newBuilder().setEpoch(x.epoch().value())
          .setLsn(x.lsn().map(Lsn::value).orElse(0L)).setReason(x.reason()).setSilentMillis(x.silentFor().toMillis()));
    } else if (c instanceof Command.Elect x) {
      b.setElect(io.ratisfailover.internal.proto.Elect.newBuilder().setCandidate(x.candidate().value())
          .setEpoch(x.epoch().value()).setExpectedRenewalIndex(x.expectedRenewalIndex()).setCause(cause(x.cause()))
          .setReason(x.reason()).setPredecessorSilentMillis(x.predecessorSilent().toMillis()));
    } else if (c instanceof Command.RecordPromotion x) {
      b.setRecordPromotion(io.ratisfailover.internal.proto.RecordPromotion.newBuilder().setEpoch(x.epoch().value())
          .setTimeline(x.timeline()).setLsn(x.lsn().value()));
    } else if (c instanceof Command.SetSynchronous x) {
      b.setSetSynchronous(io.ratisfailover.internal.proto.SetSynchronous.newBuilder().setEpoch(x.epoch().value())
          .addAllMembers(names(x.members())).setQuorum(x.quorum() == x.members().size() ? 0 : x.quorum()));
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
    } else if (c instanceof Command.AddMember x) {
      b.setAddMember(io.ratisfailover.internal.proto.AddMember.newBuilder().setPeer(peer(x.peer())));
    } else if (c instanceof Command.RemoveMember x) {
      b.setRemoveMember(io.ratisfailover.internal.proto.RemoveMember.newBuilder().setMember(x.member().value()));
    } else {
      throw new IllegalArgumentException("no encoding for " + c.getClass().getSimpleName());
    }
    return b.build();
  }

  /** The command in {@code p}'s body. @throws IllegalArgumentException for a body this version does not know */
  static Command decode(CommandProto p) {
    switch (p.getBodyCase()) {
      case BOOTSTRAP: {
        var x = p.getBootstrap();
        return new Command.Bootstrap(x.getClusterName(), x.getPeersList().stream().map(ProtoValues::peer).toList(),
            settings(x.getSettings()), optionalCa(x.getCaCertificate()));
      }
      case REPORT_STATUS: {
        var x = p.getReportStatus();
        return new Command.ReportStatus(tags(x.getTags()), x.getApiUrl(), x.getAttributesMap(),
            x.hasStatus() ? Optional.of(status(x.getStatus())) : Optional.empty(),
            x.hasAppliedIndex() ? OptionalLong.of(x.getAppliedIndex()) : OptionalLong.empty(),
            x.hasSampledAfterIndex() ? OptionalLong.of(x.getSampledAfterIndex()) : OptionalLong.empty());
      }
      case RENEW:
        return new Command.Renew(Epoch.of(p.getRenew().getEpoch()), p.getRenew().getLeaseMillis());
      case RELEASE: {
        var x = p.getRelease();
        return new Command.Release(Epoch.of(x.getEpoch()), optionalLsn(x.getLsn()), x.getReason(),
            Duration.ofMillis(Math.max(0, x.getSilentMillis())));
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
        Set<MemberId> members = memberSet(x.getMembersList());
        return new Command.SetSynchronous(Epoch.of(x.getEpoch()), members, ProtoValues.quorum(members, x.getQuorum()));
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
      case ADD_MEMBER:
        return new Command.AddMember(peer(p.getAddMember().getPeer()));
      case REMOVE_MEMBER:
        return new Command.RemoveMember(MemberId.of(p.getRemoveMember().getMember()));
      case BODY_NOT_SET:
      default:
        throw new IllegalArgumentException("command has no body this version knows (" + p.getBodyCase() + ")");
    }
  }
}

package io.ratisfailover.internal.state;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.Epoch;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.Peer;
import io.ratisfailover.Tags;
import io.ratisfailover.spi.DatabaseStatus;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Builds cluster states the way the log does, by applying commands through the real state machine,
 * so tests read like what happened: {@code Story.of().bootstrap().elect("pg1").renew("pg1")}.
 */
public final class Story {
  private final ClusterStateMachine rules = new ClusterStateMachine();
  private ClusterState state = ClusterState.EMPTY;
  private long index;
  private long seq;
  private ApplyResult last;

  public static Story of() {
    return new Story();
  }

  public static final List<Peer> PEERS = List.of(Peer.data("pg1", "127.0.0.1:7001"), Peer.data("pg2", "127.0.0.1:7002"),
      Peer.witness("w1", "127.0.0.1:7003"));

  public Story bootstrap() {
    return bootstrap(ClusterSettings.DEFAULT);
  }

  public Story bootstrap(ClusterSettings settings) {
    return apply("w1", new Command.Bootstrap("orders", PEERS, settings));
  }

  public Story report(String member, DatabaseStatus status) {
    return apply(member, new Command.ReportStatus(Tags.DEFAULT, "http://" + member, Map.of("host", member), Optional.of(status),
        OptionalLong.empty()));
  }

  public Story report(String member, Tags tags, DatabaseStatus status) {
    return apply(member, new Command.ReportStatus(tags, "http://" + member, Map.of("host", member), Optional.of(status),
        OptionalLong.empty()));
  }

  public Story elect(String candidate) {
    return apply("w1", new Command.Elect(MemberId.of(candidate), state.epoch().next(), state.lastRenewalIndex(),
        HistoryEntry.Cause.LEASE_EXPIRED, "test"));
  }

  public Story renew(String member) {
    return apply(member, new Command.Renew(state.epoch(), 2500));
  }

  public Story promoted(String member, long timeline) {
    return apply(member, new Command.RecordPromotion(state.epoch(), timeline, Lsn.of(0x3000000)));
  }

  public Story release(String member, Optional<Lsn> at) {
    return apply(member, new Command.Release(state.epoch(), at, "test"));
  }

  public Story synchronous(String primary, String... standbys) {
    return apply(primary, new Command.SetSynchronous(state.epoch(),
        java.util.Arrays.stream(standbys).map(MemberId::of).collect(java.util.stream.Collectors.toSet())));
  }

  public Story apply(String member, Command command) {
    seq++;
    index++;
    Applied applied = rules.apply(state, new Request(new Origin(MemberId.of(member), 7, seq, 1_000 * index), command), index);
    state = applied.state();
    last = applied.result();
    return this;
  }

  public ClusterState state() {
    return state;
  }

  public ApplyResult last() {
    return last;
  }

  public long index() {
    return index;
  }

  public Epoch epoch() {
    return state.epoch();
  }
}

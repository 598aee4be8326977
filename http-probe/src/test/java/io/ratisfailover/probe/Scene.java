package io.ratisfailover.probe;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.ClusterView;
import io.ratisfailover.Epoch;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.LocalRole;
import io.ratisfailover.LocalView;
import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.MemberRole;
import io.ratisfailover.MemberView;
import io.ratisfailover.PendingSwitchover;
import io.ratisfailover.Tags;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.ReplicaInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A small cluster described in a line ("primary pg1 at 10 MB, replica pg2 replayed to 8 MB, witness
 * w1") and seen from one member, for tests that need views without running anything.
 */
final class Scene {
  static final long MB = 1 << 20;
  static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

  private final Map<String, Member> members = new LinkedHashMap<>();
  private Optional<String> primary = Optional.empty();
  private final Set<String> sync = new HashSet<>();
  private final Set<String> notStreaming = new HashSet<>();
  private final List<HistoryEntry> history = new ArrayList<>();
  private boolean promoted = true;
  private boolean paused;
  private long epoch = 3;
  private ClusterSettings settings = ClusterSettings.DEFAULT;
  private Optional<PendingSwitchover> switchover = Optional.empty();

  private static final class Member {
    final String id;
    final MemberKind kind;
    long write;
    long received;
    long replayed;
    Tags tags = Tags.DEFAULT;
    boolean reporting = true;
    boolean pendingRestart;

    Member(String id, MemberKind kind) {
      this.id = id;
      this.kind = kind;
    }
  }

  static Scene cluster() {
    return new Scene();
  }

  /** A data member elected and promoted for the current epoch, written up to {@code write} bytes. */
  Scene primary(String id, long write) {
    Member m = new Member(id, MemberKind.DATA);
    m.write = write;
    members.put(id, m);
    primary = Optional.of(id);
    return this;
  }

  /** A data member streaming from the primary. */
  Scene replica(String id, long received, long replayed) {
    Member m = new Member(id, MemberKind.DATA);
    m.received = received;
    m.replayed = replayed;
    members.put(id, m);
    return this;
  }

  Scene witness(String id) {
    members.put(id, new Member(id, MemberKind.WITNESS));
    return this;
  }

  Scene synchronous(String id) {
    sync.add(id);
    return this;
  }

  /** No report from {@code id} for longer than twice the ttl: its host is down or cut off. */
  Scene silent(String id) {
    members.get(id).reporting = false;
    return this;
  }

  /** {@code id}'s server has a changed setting that needs a restart. */
  Scene pendingRestart(String id) {
    members.get(id).pendingRestart = true;
    return this;
  }

  /** The primary's last report does not list {@code id} as streaming. */
  Scene notStreaming(String id) {
    notStreaming.add(id);
    return this;
  }

  Scene tags(String id, Tags tags) {
    members.get(id).tags = tags;
    return this;
  }

  /** The primary was elected but has not recorded its promotion yet. */
  Scene promoting() {
    promoted = false;
    return this;
  }

  /** No member is primary (the last one's lease ran out, nobody is elected yet). */
  Scene noPrimary() {
    primary = Optional.empty();
    return this;
  }

  Scene paused() {
    paused = true;
    return this;
  }

  Scene settings(ClusterSettings value) {
    settings = value;
    return this;
  }

  Scene history(HistoryEntry entry) {
    history.add(entry);
    epoch = Math.max(epoch, entry.epoch().value());
    return this;
  }

  Scene switchoverScheduled(String from, String to, Instant at) {
    switchover = Optional.of(new PendingSwitchover(Optional.of(MemberId.of(from)), Optional.of(MemberId.of(to)),
        Epoch.of(epoch), Optional.of(at), T0));
    return this;
  }

  ClusterView clusterView() {
    List<MemberView> views = new ArrayList<>();
    for (Member m : members.values()) {
      views.add(new MemberView(MemberId.of(m.id), m.kind, "127.0.0.1:1", role(m), m.tags, "http://127.0.0.1/" + m.id,
          m.kind == MemberKind.DATA ? Map.of("host", "127.0.0.1", "port", "5432") : Map.of(), status(m),
          Optional.of(Duration.ofMillis(200)), m.reporting));
    }
    List<HistoryEntry> h = new ArrayList<>(history);
    if (primary.isPresent() && h.stream().noneMatch(e -> e.epoch().value() == epoch)) {
      HistoryEntry current = new HistoryEntry(Epoch.of(epoch), MemberId.of(primary.get()), HistoryEntry.Cause.LEASE_EXPIRED,
          "lease expired", T0, 0, Optional.empty());
      h.add(promoted ? current.promotedTo(2, Lsn.of(5 * MB)) : current);
    }
    return new ClusterView("demo", true, Epoch.of(epoch), primary.map(MemberId::of), paused, settings,
        sync.stream().map(MemberId::of).collect(Collectors.toSet()), switchover, views, h, Optional.of(MemberId.of("w1")),
        7, 120);
  }

  private MemberRole role(Member m) {
    if (m.kind == MemberKind.WITNESS) {
      return MemberRole.WITNESS;
    }
    if (primary.filter(m.id::equals).isPresent()) {
      return MemberRole.PRIMARY;
    }
    return sync.contains(m.id) ? MemberRole.SYNC_STANDBY : MemberRole.REPLICA;
  }

  private Optional<DatabaseStatus> status(Member m) {
    if (m.kind == MemberKind.WITNESS) {
      return Optional.empty();
    }
    if (primary.filter(m.id::equals).isPresent()) {
      List<ReplicaInfo> replicas = members.values().stream()
          .filter(r -> r.kind == MemberKind.DATA && !r.id.equals(m.id))
          .map(r -> new ReplicaInfo(MemberId.of(r.id), !notStreaming.contains(r.id),
              sync.contains(r.id) ? ReplicaInfo.SyncState.SYNC : ReplicaInfo.SyncState.ASYNC, Lsn.of(r.received),
              Lsn.of(r.replayed)))
          .toList();
      return Optional.of(DatabaseStatus.primary(2, Lsn.of(m.write), replicas,
          sync.stream().map(MemberId::of).collect(Collectors.toSet())).withSystemIdentifier("7000000000000000001")
          .withPendingRestart(m.pendingRestart));
    }
    return Optional.of(DatabaseStatus.replica(2, Lsn.of(m.received), Lsn.of(m.replayed), primary.map(MemberId::of))
        .withPendingRestart(m.pendingRestart));
  }

  /** {@code id}'s view, as its agent would see it in this scene. */
  Viewer as(String id) {
    return new Viewer(id);
  }

  /** One member's own view, adjustable before it is taken. */
  final class Viewer {
    private final String id;
    private LocalRole role;
    private Optional<DatabaseStatus> database;
    private Duration lease;
    private Optional<Boolean> serving = Optional.empty();
    private Duration sinceLastCycle = Duration.ofMillis(100);
    private Duration predecessorSilent = Duration.ZERO;

    private Viewer(String id) {
      this.id = id;
      Member m = members.get(id);
      boolean isPrimary = primary.filter(id::equals).isPresent();
      this.role = m.kind == MemberKind.WITNESS ? LocalRole.WITNESS
          : isPrimary ? (promoted ? LocalRole.PRIMARY : LocalRole.CANDIDATE) : LocalRole.REPLICA;
      this.database = status(m);
      this.lease = isPrimary ? Duration.ofMillis(2000) : Duration.ZERO;
    }

    Viewer role(LocalRole value) {
      role = value;
      return this;
    }

    Viewer database(DatabaseStatus value) {
      database = Optional.of(value);
      return this;
    }

    Viewer noDatabaseYet() {
      database = Optional.empty();
      return this;
    }

    Viewer leaseRemaining(Duration value) {
      lease = value;
      return this;
    }

    /** What {@code servingPrimary()} answers; by default true exactly for a promoted primary with a lease and a read-write database. */
    Viewer serving(boolean value) {
      serving = Optional.of(value);
      return this;
    }

    Viewer sinceLastCycle(Duration value) {
      sinceLastCycle = value;
      return this;
    }

    /** How long the previous primary has been silent on {@code /primary}, as the member's election bounds it. */
    Viewer predecessorSilent(Duration value) {
      predecessorSilent = value;
      return this;
    }

    Observation observe() {
      Member m = members.get(id);
      boolean servingNow = serving.orElse(role == LocalRole.PRIMARY && !lease.isZero()
          && database.map(DatabaseStatus::isPrimary).orElse(false));
      LocalView local = new LocalView(MemberId.of(id), m.kind, "demo", role, Epoch.of(epoch), servingNow, lease,
          database, "a reason", id.equals("w1"), paused, Duration.ofMillis(2), sinceLastCycle,
          predecessorSilent);
      return new Observation(local, clusterView(), servingNow);
    }
  }
}

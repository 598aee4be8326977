package io.ratisfailover.testing;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.FailoverMember;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.RaftHost;
import io.ratisfailover.RaftTls;
import io.ratisfailover.Timing;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Real members — Raft servers on loopback, agents, arbiters — in one JVM, with in-memory
 * databases. Members can be killed (closed without any goodbye, their database crashed with them)
 * and restarted from their storage directories. Close it to stop everything.
 */
public final class LocalCluster implements AutoCloseable {
  private final String name;
  private final Path root;
  private final Timing timing;
  private final ClusterSettings settings;
  private final List<Peer> peers = new ArrayList<>();
  private final InMemoryDatabases databases = new InMemoryDatabases();
  private final Map<MemberId, FailoverMember> running = new LinkedHashMap<>();
  private long snapshotEvery = 1000;
  private java.util.function.Function<MemberId, io.ratisfailover.spi.Fencer> fencers = id -> io.ratisfailover.spi.Fencer.NONE;
  private java.util.function.Function<MemberId, io.ratisfailover.spi.Watchdog> watchdogs = id -> io.ratisfailover.spi.Watchdog.NONE;
  private java.util.function.Function<MemberId, Optional<RaftTls>> raftTls = id -> Optional.empty();
  /** The shared Raft server the witness runs on, when it does not run one of its own. */
  private final Optional<RaftHost> witnessHost;

  /**
   * @param layout member ids with their kind, for example {@code Map.of("pg1", DATA, "pg2", DATA, "w1", WITNESS)}
   */
  public LocalCluster(String name, Path root, Timing timing, ClusterSettings settings, Map<String, MemberKind> layout) {
    this(name, root, timing, settings, layout, Optional.empty());
  }

  private LocalCluster(String name, Path root, Timing timing, ClusterSettings settings, Map<String, MemberKind> layout,
      Optional<RaftHost> witnessHost) {
    this.witnessHost = witnessHost;
    this.name = name;
    this.root = root;
    this.timing = timing;
    this.settings = settings;
    int[] ports = Ports.free(layout.size());
    int i = 0;
    for (Map.Entry<String, MemberKind> e : new java.util.TreeMap<>(layout).entrySet()) {
      String address = witnessHost.filter(h -> h.memberId().value().equals(e.getKey())).map(RaftHost::raftAddress)
          .orElse("127.0.0.1:" + ports[i]);
      i++;
      peers.add(new Peer(MemberId.of(e.getKey()), e.getValue(), address));
      if (e.getValue() == MemberKind.DATA) {
        databases.create(MemberId.of(e.getKey()));
      }
    }
  }

  /** Two data members and a witness: the layout this project is built for. */
  public static LocalCluster threeMembers(String name, Path root, Timing timing) {
    return new LocalCluster(name, root, timing, ClusterSettings.DEFAULT,
        Map.of("pg1", MemberKind.DATA, "pg2", MemberKind.DATA, "w1", MemberKind.WITNESS));
  }

  /**
   * Data members {@code <name>-pg1} and {@code <name>-pg2} (ids unique among the clusters of one
   * witness), and the witness {@code host} serves (on its shared Raft server, with the other clusters
   * it hosts). The host must be started; closing the cluster leaves it running.
   */
  public static LocalCluster sharingWitness(String name, Path root, Timing timing, RaftHost host) {
    return new LocalCluster(name, root, timing, ClusterSettings.DEFAULT,
        Map.of(name + "-pg1", MemberKind.DATA, name + "-pg2", MemberKind.DATA, host.memberId().value(), MemberKind.WITNESS),
        Optional.of(host));
  }

  /** Snapshot every this many entries, for members started from now on. */
  public LocalCluster snapshotEvery(long entries) {
    this.snapshotEvery = entries;
    return this;
  }

  /** Fencer and watchdog of each member started from now on. */
  public LocalCluster hooks(java.util.function.Function<MemberId, io.ratisfailover.spi.Fencer> fencer,
      java.util.function.Function<MemberId, io.ratisfailover.spi.Watchdog> watchdog) {
    this.fencers = fencer;
    this.watchdogs = watchdog;
    return this;
  }

  /** The Raft TLS files of each member started from now on; a member without any runs insecure. */
  public LocalCluster raftTls(java.util.function.Function<MemberId, Optional<RaftTls>> tls) {
    this.raftTls = tls;
    return this;
  }

  /**
   * A new member on a free port, listed in the peers of every member started from now on (as an
   * operator updates the configuration files when adding a member); not started, not yet in the group.
   */
  public synchronized Peer newPeer(String id, MemberKind kind) {
    Peer peer = new Peer(MemberId.of(id), kind, "127.0.0.1:" + Ports.free(1)[0]);
    peers.add(peer);
    if (kind == MemberKind.DATA) {
      databases.create(peer.id());
    }
    return peer;
  }

  public Path storage(String id) {
    return root.resolve(id);
  }

  public LocalCluster startAll() {
    peers.forEach(p -> start(p.id()));
    return this;
  }

  public FailoverMember start(MemberId id) {
    return start(id, false, b -> b);
  }

  /**
   * Starts a member whose configuration {@code adjust} changes from the cluster's (another peers
   * list, cluster name or settings), as an operator's mistake would.
   */
  public FailoverMember start(String id, java.util.function.UnaryOperator<FailoverMember.Builder> adjust) {
    return start(MemberId.of(id), false, adjust);
  }

  private FailoverMember start(MemberId id, boolean rejoin, java.util.function.UnaryOperator<FailoverMember.Builder> adjust) {
    List<Peer> listed;
    synchronized (this) {
      listed = List.copyOf(peers);
    }
    Peer peer = listed.stream().filter(p -> p.id().equals(id)).findFirst().orElseThrow();
    FailoverMember.Builder b = FailoverMember.builder().clusterName(name).memberId(id).peers(listed)
        .timing(timing).initialSettings(settings)
        .apiUrl("http://127.0.0.1/" + id).snapshotEvery(snapshotEvery).fencer(fencers.apply(id))
        .watchdog(watchdogs.apply(id)).rejoin(rejoin);
    Optional<RaftHost> host = witnessHost.filter(h -> h.memberId().equals(id));
    if (host.isPresent()) {
      b.raftHost(host.get());
    } else {
      b.storageDirectory(root.resolve(id.value()));
      raftTls.apply(id).ifPresentOrElse(b::raftTls, b::insecureRaft);
    }
    if (peer.kind() == MemberKind.DATA) {
      b.database(databases.database(id));
    }
    FailoverMember m = adjust.apply(b).build();
    // Not under the lock: a rejoin waits for the others, which a test may start meanwhile.
    m.start();
    synchronized (this) {
      running.put(id, m);
    }
    return m;
  }

  public FailoverMember start(String id) {
    return start(MemberId.of(id));
  }

  /** Starts a member whose storage was lost, re-adding it to the Raft group as the operator's {@code --rejoin} does. */
  public FailoverMember rejoin(String id) {
    return start(MemberId.of(id), true, b -> b);
  }

  /** The member's host dies: its agent and Raft server stop without a word, and its database crashes. */
  public synchronized void kill(MemberId id) {
    FailoverMember m = running.remove(id);
    if (m != null) {
      m.close();
    }
    if (databases.promotions() != null && peers.stream().anyMatch(p -> p.id().equals(id) && p.kind() == MemberKind.DATA)) {
      databases.database(id).crash();
    }
  }

  public synchronized FailoverMember member(String id) {
    FailoverMember m = running.get(MemberId.of(id));
    if (m == null) {
      throw new IllegalArgumentException(id + " is not running");
    }
    return m;
  }

  public synchronized List<FailoverMember> members() {
    return List.copyOf(running.values());
  }

  /** The member answering 200 on /primary now, if exactly one does; fails if two do. */
  public synchronized Optional<FailoverMember> servingPrimary() {
    List<FailoverMember> serving = running.values().stream().filter(FailoverMember::servingPrimary).toList();
    if (serving.size() > 1) {
      throw new AssertionError("two members serve as primary: " + serving.stream().map(m -> m.id().value()).toList());
    }
    return serving.stream().findFirst();
  }

  public InMemoryDatabases databases() {
    return databases;
  }

  public InMemoryDatabase database(String id) {
    return databases.database(MemberId.of(id));
  }

  public synchronized List<Peer> peers() {
    return List.copyOf(peers);
  }

  public Timing timing() {
    return timing;
  }

  /** One line per running member, for failure messages. */
  public synchronized String describe() {
    return running.values().stream().map(m -> m.id() + "=" + m.local().role() + "/epoch " + m.local().epoch()
        + "/serving " + m.servingPrimary() + "/" + m.local().reason()).collect(Collectors.joining("; "));
  }

  @Override
  public synchronized void close() {
    for (FailoverMember m : running.values()) {
      m.close();
    }
    running.clear();
  }
}

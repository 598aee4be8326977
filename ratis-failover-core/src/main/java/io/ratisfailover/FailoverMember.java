package io.ratisfailover;

import io.ratisfailover.internal.auth.MemberKey;
import io.ratisfailover.internal.control.AdminGate;
import io.ratisfailover.internal.control.AgentPolicy;
import io.ratisfailover.internal.control.RootCause;
import io.ratisfailover.internal.control.ExecutorLoop;
import io.ratisfailover.internal.control.MemberViews;
import io.ratisfailover.internal.control.ConfigAgreement;
import io.ratisfailover.internal.control.MemberRuntime;
import io.ratisfailover.internal.control.RenewalClock;
import io.ratisfailover.internal.control.RuntimeConfig;
import io.ratisfailover.internal.control.StateWatchers;
import io.ratisfailover.internal.control.Submitter;
import io.ratisfailover.internal.ratis.GroupMembership;
import io.ratisfailover.internal.ratis.PeerReport;
import io.ratisfailover.internal.ratis.RaftTlsParameters;
import io.ratisfailover.internal.ratis.RatisConsensus;
import io.ratisfailover.internal.ratis.RatisProcessGuard;
import io.ratisfailover.internal.ratis.RatisProperties;
import io.ratisfailover.internal.ratis.RatisStateMachine;
import io.ratisfailover.internal.ratis.StateMachineEvents;
import io.ratisfailover.internal.ratis.StorageCheck;
import io.ratisfailover.internal.ratis.StoredLog;
import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.ClusterStateMachine;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Request;
import io.ratisfailover.spi.DatabaseAdapter;
import io.ratisfailover.spi.Fencer;
import io.ratisfailover.spi.Watchdog;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cluster member running in this JVM: a Raft server of the cluster's group, the member agent
 * (and, while this member leads the group, the arbiter), and for a data member the local
 * database driven through its {@link DatabaseAdapter}.
 *
 * <pre>{@code
 * FailoverMember member = FailoverMember.builder()
 *     .clusterName("orders").memberId("pg1")
 *     .peers(List.of(Peer.data("pg1", "10.0.0.1:7001"), Peer.data("pg2", "10.0.0.2:7001"),
 *         Peer.witness("w1", "10.0.0.3:7001")))
 *     .storageDirectory(Path.of("/var/lib/ratis-failover"))
 *     .raftTls(new RaftTls(Path.of("pg1.pem"), Path.of("pg1.key"), Path.of("cluster-ca.pem")))
 *     .database(adapter)
 *     .roleListener(change -> log.info("now {}", change.to()))
 *     .build();
 * member.start();
 * }</pre>
 */
public final class FailoverMember implements ClusterMember, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FailoverMember.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

  private final Builder config;
  private final Peer selfPeer;
  private final RaftGroup group;
  private final ExecutorLoop loop;
  private final ExecutorService operationLane;
  private final ExecutorService fenceLane;
  private final ExecutorService adminLane;
  private final StateWatchers watchers = new StateWatchers();
  private final MemberRuntime runtime;
  private final Submitter submitter;
  private final AdminGate admin;
  private final MemberViews views;
  /** Signs this member's commands; empty in an unauthenticated cluster. */
  private final Optional<MemberKey> key;
  private final RatisConsensus consensus;
  private final RaftTlsParameters tls;
  /** The shared server this member's group runs on, when it has none of its own. */
  private final Optional<RaftHost> host;
  /** Where this member's Raft storage is checked before its group starts: its own, or the host's resting place. */
  private final Path storage;
  private volatile RaftServer server;
  private volatile boolean started;
  private volatile boolean closed;

  private FailoverMember(Builder b, RaftTlsParameters tls) {
    this.config = b;
    this.tls = tls;
    this.host = Optional.ofNullable(b.host);
    this.storage = b.host == null ? b.storage : b.host.server().restingStorage();
    this.selfPeer = b.peers.stream().filter(p -> p.id().equals(b.memberId)).findFirst().orElseThrow();
    this.group = RaftGroup.valueOf(groupId(b.clusterName), b.peers.stream().map(FailoverMember::raftPeer).toList());
    String name = "ratis-failover-" + b.memberId;
    this.loop = new ExecutorLoop(name + "-agent");
    this.operationLane = Executors.newSingleThreadExecutor(daemon(name + "-db"));
    this.fenceLane = Executors.newSingleThreadExecutor(daemon(name + "-fence"));
    this.adminLane = Executors.newSingleThreadExecutor(daemon(name + "-raft-admin"));
    this.consensus = new RatisConsensus(b.memberId, () -> RaftClient.newBuilder().setRaftGroup(group)
        .setProperties(RatisProperties.client(b.timing)).setParameters(tls.parameters())
        .setRetryPolicy(RatisConsensus.retryPolicy()).build(),
        this::division, b.peers, adminLane, b.timing.electionTimeoutMin());
    Optional<RaftTls> files = b.host == null ? Optional.ofNullable(b.raftTls) : b.host.raftTls();
    this.key = files.map(f -> MemberKey.load(b.memberId, b.clusterName, f));
    // Incarnations grow from one start to the next (the submitter moves past a higher recorded one).
    this.submitter = new Submitter(b.memberId, b.clock.millis(), b.clock, consensus, key);
    RuntimeConfig runtimeConfig = new RuntimeConfig(b.memberId, selfPeer.kind(), b.clusterName, b.peers,
        b.initialSettings, b.timing, b.tags, b.apiUrl, key.map(MemberKey::ca));
    Executor listeners = b.listenerExecutor;
    List<RoleListener> roleListeners = List.copyOf(b.roleListeners);
    this.runtime = new MemberRuntime(runtimeConfig, loop, b.ticker, b.clock, submitter, consensus, b.database,
        operationLane, fenceLane, b.fencer, b.watchdog, RenewalClock.LOCAL, AgentPolicy.STANDARD,
        change -> roleListeners.forEach(l -> listeners.execute(() -> notify(l, change))));
    this.admin = new AdminGate(b.memberId, runtime::snapshot, submitter, watchers, b.timing, b.ticker, b.clock,
        () -> started && !closed);
    this.views = new MemberViews(b.memberId, selfPeer.kind(), b.clusterName, b.timing, b.ticker, runtime::snapshot,
        this::currentTerm);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the Raft server and the agent. Returns once the server listens; the member then reads
   * the committed state and acts.
   *
   * @throws FailoverException naming the cause when the server cannot start (port in use, storage not writable,
   *     storage the other members know to be lost or older than this member acknowledged: see {@link Builder#rejoin})
   */
  public synchronized void start() {
    if (started) {
      throw new IllegalStateException("member " + id() + " is already started");
    }
    started = true;
    if (host.isPresent()) {
      startOnHost(host.get());
      return;
    }
    RatisProcessGuard.install();
    try {
      Files.createDirectories(storage);
    } catch (IOException e) {
      throw new FailoverException("cannot create storage directory " + storage + ": " + e.getMessage(), e);
    }
    // The agent starts first, before the peers are asked about the storage and before the Raft
    // server: a database left writable by a killed agent is fenced now, not once peers answer.
    runtime.start();
    HostPort bind = HostPort.parse(selfPeer.raftAddress(), "raft address of " + id());
    if (config.raftBindHost != null) {
      bind = new HostPort(config.raftBindHost, bind.port());
    }
    RaftServer s = null;
    try (GroupMembership membership = new GroupMembership(id(), raftPeer(selfPeer), group, config.timing, tls)) {
      requireBindable(bind);
      prepareStorage(membership);
      // RECOVER formats a missing storage: prepareStorage has made sure that is a new member's.
      s = RaftServer.newBuilder().setServerId(RaftPeerId.valueOf(id().value())).setGroup(startingGroup())
          .setStateMachine(stateMachine())
          .setProperties(RatisProperties.server(config.timing, storage, bind, config.snapshotEvery))
          .setParameters(tls.parameters())
          .setOption(RaftStorage.StartupOption.RECOVER).build();
      s.start();
      if (config.rejoin) {
        membership.addSelf();
      }
      server = s;
    } catch (FailoverException e) {
      closeQuietly(s);
      shutdownExecutors();
      throw e;
    } catch (IOException | RuntimeException e) {
      closeQuietly(s);
      shutdownExecutors();
      throw new FailoverException("cannot start the Raft server of member " + id() + " on " + bind + ": "
          + RootCause.message(e), e);
    }
    started(bind.toString());
  }

  /** As {@link #start()}, with this cluster's group added to the host's running server instead. */
  private void startOnHost(RaftHost h) {
    runtime.start();
    boolean added = false;
    try (GroupMembership membership = new GroupMembership(id(), raftPeer(selfPeer), group, config.timing, tls)) {
      prepareStorage(membership);
      h.server().add(startingGroup(), stateMachine());
      added = true;
      server = h.server().server();
      if (config.rejoin) {
        membership.addSelf();
      }
    } catch (IOException | RuntimeException e) {
      if (added) {
        removeFromHost(h);
      }
      server = null;
      shutdownExecutors();
      throw e instanceof FailoverException f ? f : new FailoverException("cannot add cluster " + config.clusterName
          + " to the shared Raft server of member " + id() + ": " + RootCause.message(e), e);
    }
    started(h.raftAddress() + " (shared)");
  }

  private RatisStateMachine stateMachine() {
    return new RatisStateMachine(id(), new ClusterStateMachine(), new Events(), key.map(MemberKey::ca));
  }

  private void started(String raft) {
    runtime.consensusStarted();
    log.info("member {}: started ({}, cluster {}, raft {}, {})", id(), kind(), config.clusterName, raft,
        tls.secure() ? "mutual TLS" : "no TLS");
    if (!tls.secure()) {
      log.warn("member {}: the Raft port {} has no TLS and no authentication: whoever reaches it controls cluster {}",
          id(), raft, config.clusterName);
    }
  }

  private void removeFromHost(RaftHost h) {
    try {
      h.server().remove(group.getGroupId());
    } catch (IOException | RuntimeException e) {
      log.warn("member {}: removing cluster {} from the shared Raft server failed: {}", id(), config.clusterName,
          e.toString());
    }
  }

  /**
   * The configuration a blank storage starts from. A rejoining member starts outside it: a server
   * that counts itself a voter campaigns when no append reaches it within an election timeout, and
   * the leader, whose configuration no longer lists it, answers such a campaign by telling it to
   * shut down, which closes the server for good (chaos seed 492155, on a loaded host). Started with
   * an empty configuration (as Ratis starts a peer to be added), it stays initializing, without
   * elections, until the leader's appends bring the configuration that lists it.
   */
  private RaftGroup startingGroup() {
    return config.rejoin ? RaftGroup.valueOf(group.getGroupId()) : group;
  }

  /**
   * Refuses a Raft storage the other members know to be lost or older than what this member
   * acknowledged (review B7, {@link StorageCheck}). For a rejoin, instead: leave the voters first,
   * then drop whatever the storage holds, so the server starts blank and outside the majority
   * until the leader has brought it up to date.
   */
  private void prepareStorage(GroupMembership membership) throws IOException {
    RaftGroupId groupId = group.getGroupId();
    if (config.rejoin) {
      log.warn("member {}: rejoining cluster {}: leaving the Raft voters and discarding the Raft storage in {}",
          id(), config.clusterName, StoredLog.groupDirectory(storage, groupId));
      membership.removeSelf();
      StoredLog.discard(storage, groupId);
      return;
    }
    StoredLog local = StoredLog.read(storage, groupId);
    List<PeerReport> reports = membership.survey();
    Optional<String> refusal = StorageCheck.refusal(id(), storage, local, reports)
        .or(() -> disagreement(membership, reports));
    if (refusal.isPresent()) {
      throw new FailoverException(refusal.get());
    }
    if (local.blank() && reports.isEmpty()) {
      log.warn("member {}: the Raft storage in {} is empty and no peer answered: starting as a member of a new cluster",
          id(), storage);
    }
  }

  /**
   * Whether this member's cluster name and peers list differ from the cluster's, as the peers that
   * answered hold it (issue 11, item 6). When none answered about our group, a peer may still serve
   * the group of another cluster name: the one mistake that would otherwise only ever show as
   * "waiting for the cluster to be bootstrapped". A new cluster whose peers are all starting is
   * compared later, by the agent, once the state is read ({@link #refused()}).
   */
  private Optional<String> disagreement(GroupMembership membership, List<PeerReport> reports) {
    for (PeerReport r : reports) {
      Optional<String> differs = r.state()
          .flatMap(s -> ConfigAgreement.refusal(config.clusterName, config.peers, s, "the state of peer " + r.peer()));
      if (differs.isPresent()) {
        return differs;
      }
    }
    if (!reports.isEmpty()) {
      return Optional.empty();
    }
    return membership.otherCluster().map(other -> ConfigAgreement.nameRefusal(config.clusterName, other.clusterName(),
        "the group peer " + other.peer() + " serves"));
  }

  /**
   * Completes, with a one-line error, when this member finds after it started that its cluster
   * name or peers list differs from the cluster's (a new cluster whose members started together
   * with different lists; at start the peers that answer are asked instead and {@link #start}
   * throws). The member then does nothing but keep its database fenced: stop it and fix the
   * configuration.
   */
  public CompletableFuture<String> refused() {
    return runtime.refused();
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (server != null) { // else start failed and already stopped the loop
      try {
        loop.runAndWait(runtime::close, CLOSE_TIMEOUT);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    closeQuietly(consensus);
    if (host.isPresent()) {
      if (server != null) {
        removeFromHost(host.get());
      }
    } else {
      closeQuietly(server);
    }
    shutdownExecutors();
    if (config.database != null) {
      try {
        config.database.close();
      } catch (RuntimeException e) {
        log.warn("member {}: closing the database adapter failed: {}", id(), e.toString());
      }
    }
    log.info("member {}: closed", id());
  }

  // --- reads ------------------------------------------------------------------------------------

  @Override
  public MemberId id() {
    return config.memberId;
  }

  @Override
  public MemberKind kind() {
    return selfPeer.kind();
  }

  @Override
  public boolean servingPrimary() {
    return runtime.snapshot().servingPrimary(config.ticker.nanoTime());
  }

  @Override
  public LocalView local() {
    return views.local();
  }

  @Override
  public ClusterView cluster() {
    return views.cluster();
  }

  // --- admin: checked and committed by the AdminGate ----------------------------------------------

  @Override
  public SwitchoverOutcome switchover(SwitchoverRequest request, Duration wait) {
    return admin.switchover(request, wait);
  }

  @Override
  public SwitchoverOutcome failover(MemberId candidate, Duration wait) {
    return admin.failover(candidate, wait);
  }

  @Override
  public void cancelSwitchover() {
    admin.submit(new Command.CancelSwitchover());
  }

  @Override
  public void pause() {
    admin.submit(new Command.SetPause(true));
  }

  @Override
  public void resume() {
    admin.submit(new Command.SetPause(false));
  }

  @Override
  public ClusterSettings updateSettings(UnaryOperator<ClusterSettings> change) {
    return admin.updateSettings(change);
  }

  @Override
  public CompletableFuture<Void> restartDatabase() {
    return runtime.runDatabaseCommand("restart", DatabaseAdapter::restart);
  }

  @Override
  public CompletableFuture<Void> reloadDatabase() {
    return runtime.runDatabaseCommand("reload", DatabaseAdapter::reload);
  }

  @Override
  public CompletableFuture<Void> reinitializeDatabase() {
    ClusterState state = runtime.snapshot().state();
    if (state.primary().filter(id()::equals).isPresent()) {
      return CompletableFuture.failedFuture(new AdminRejectedException(AdminRejectedException.Reason.NOT_ELIGIBLE,
          id() + " is the primary; only a standby can be reinitialized"));
    }
    return runtime.currentUpstream()
        .map(upstream -> runtime.runDatabaseCommand("reinitialize", adapter -> adapter.reinitialize(upstream)))
        .orElseGet(() -> CompletableFuture.failedFuture(new AdminRejectedException(
            AdminRejectedException.Reason.NO_CANDIDATE, "there is no primary to clone from")));
  }

  // --- plumbing ---------------------------------------------------------------------------------

  /** Hands state-machine events to the runtime's loop, and wakes admin callers waiting for a state. */
  private final class Events implements StateMachineEvents {
    @Override
    public void loaded(ClusterState state, long index) {
      loop.execute(() -> runtime.stateLoaded(state, index));
      watchers.offer(state);
    }

    @Override
    public void applied(long index, Request request, ApplyResult result, ClusterState state) {
      loop.execute(() -> runtime.applied(index, request, result, state));
      watchers.offer(state);
    }

    @Override
    public void leadership(boolean leader) {
      loop.execute(() -> runtime.leadership(leader));
    }

    @Override
    public void leaderChanged(Optional<MemberId> leader) {
      loop.execute(() -> runtime.raftLeader(leader, currentTerm()));
    }
  }

  private RaftServer.Division division() {
    try {
      RaftServer s = server;
      if (s == null) {
        throw new IllegalStateException("member " + id() + " is not started");
      }
      return s.getDivision(group.getGroupId());
    } catch (IOException e) {
      throw new IllegalStateException("member " + id() + " has no Raft division: " + e.getMessage(), e);
    }
  }

  private long currentTerm() {
    try {
      return server == null ? 0 : division().getInfo().getCurrentTerm();
    } catch (RuntimeException e) {
      return 0;
    }
  }

  private static void notify(RoleListener listener, RoleChange change) {
    try {
      listener.roleChanged(change);
    } catch (RuntimeException e) {
      log.error("member {}: role listener {} failed", change.member(), listener, e);
    }
  }

  private void shutdownExecutors() {
    loop.close();
    operationLane.shutdownNow();
    adminLane.shutdownNow();
    // A fence under way finishes: interrupted, it could leave the database writable.
    fenceLane.shutdown();
    try {
      if (!fenceLane.awaitTermination(config.timing.operationTimeout().toNanos(), TimeUnit.NANOSECONDS)) {
        log.error("member {}: a fence did not finish within {} ms of closing", id(), config.timing.operationTimeout().toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    fenceLane.shutdownNow();
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception e) {
        log.warn("closing {} failed: {}", c.getClass().getSimpleName(), e.toString());
      }
    }
  }

  /** Ratis reports a taken port with pages of stack traces; an operator needs one line. */
  static void requireBindable(HostPort bind) throws IOException {
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(bind.host(), bind.port()));
    }
  }

  static RaftGroupId groupId(String clusterName) {
    return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("ratis-failover/" + clusterName).getBytes(StandardCharsets.UTF_8)));
  }

  private static RaftPeer raftPeer(Peer p) {
    return RaftPeer.newBuilder().setId(p.id().value()).setAddress(p.raftAddress())
        .setPriority(p.kind() == MemberKind.WITNESS ? RatisConsensus.WITNESS_PRIORITY : RatisConsensus.STANDBY_PRIORITY)
        .build();
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** Configures a member; {@link #build()} checks everything and names the first problem. */
  public static final class Builder {
    private MemberId memberId;
    private String clusterName;
    private final List<Peer> peers = new ArrayList<>();
    private Path storage;
    private Timing timing = Timing.defaults();
    private ClusterSettings initialSettings = ClusterSettings.DEFAULT;
    private Tags tags = Tags.DEFAULT;
    private String apiUrl = "";
    private String raftBindHost;
    private DatabaseAdapter database;
    private Fencer fencer = Fencer.NONE;
    private Watchdog watchdog = Watchdog.NONE;
    private final List<RoleListener> roleListeners = new ArrayList<>();
    private Executor listenerExecutor = Runnable::run;
    private Ticker ticker = Ticker.system();
    private Clock clock = Clock.systemUTC();
    private long snapshotEvery = RatisProperties.SNAPSHOT_EVERY;
    private boolean rejoin;
    private RaftTls raftTls;
    private boolean insecureRaft;
    private RaftHost host;

    private Builder() {}

    public Builder memberId(String id) { this.memberId = MemberId.of(id); return this; }
    public Builder memberId(MemberId id) { this.memberId = id; return this; }
    public Builder clusterName(String name) { this.clusterName = name; return this; }
    /** Every voting member of the group, this one included; the same list on every member. */
    public Builder peers(List<Peer> all) { peers.clear(); peers.addAll(all); return this; }
    /** Where the Raft log and snapshots live; must survive restarts. */
    public Builder storageDirectory(Path dir) { this.storage = dir; return this; }
    public Builder timing(Timing value) { this.timing = value; return this; }
    /** The dynamic settings a new cluster starts with; ignored once the cluster exists. */
    public Builder initialSettings(ClusterSettings value) { this.initialSettings = value; return this; }
    public Builder tags(Tags value) { this.tags = value; return this; }
    /** Where this member's HTTP API answers, published for the command-line tool and the other members. */
    public Builder apiUrl(String url) { this.apiUrl = url; return this; }
    /**
     * Mutual TLS on every Raft connection, and the key that signs this member's commands. The
     * certificate's common name must be this member's id, and its subject alternative names must
     * include the host or IP address of this member's Raft address as the peers list gives it.
     */
    public Builder raftTls(RaftTls value) { this.raftTls = Objects.requireNonNull(value, "raftTls"); return this; }
    /**
     * Runs the Raft port without TLS or authentication: whoever reaches it can pause the cluster,
     * force a failover or remove a member. Only for tests and networks nobody else can reach;
     * without this or {@link #raftTls}, {@link #build()} refuses.
     */
    public Builder insecureRaft() { this.insecureRaft = true; return this; }
    /**
     * Runs this member's group on a started shared server instead of a Raft server of its own (a
     * witness serving many clusters on one port): storage, TLS and election timeouts are the host's,
     * so {@link #storageDirectory}, {@link #raftTls}, {@link #insecureRaft} and {@link #raftBindHost}
     * are refused; {@link #start()} adds the group, {@link #close()} removes it and leaves the others running.
     */
    public Builder raftHost(RaftHost value) { this.host = Objects.requireNonNull(value, "raftHost"); return this; }
    /** Listen on this host instead of the one in this member's Raft address (for example 0.0.0.0). */
    public Builder raftBindHost(String host) { this.raftBindHost = host; return this; }
    /** Required for a data member, refused for a witness. Closed with the member. */
    public Builder database(DatabaseAdapter adapter) { this.database = adapter; return this; }
    public Builder fencer(Fencer value) { this.fencer = value; return this; }
    public Builder watchdog(Watchdog value) { this.watchdog = value; return this; }
    public Builder roleListener(RoleListener listener) { roleListeners.add(Objects.requireNonNull(listener)); return this; }
    /** Where role listeners run; by default on the agent's own thread, so they must then be quick. */
    public Builder listenerExecutor(Executor executor) { this.listenerExecutor = executor; return this; }
    public Builder ticker(Ticker value) { this.ticker = value; return this; }
    public Builder clock(Clock value) { this.clock = value; return this; }
    /** Snapshot the state (and purge the Raft log behind it) every this many entries; default 1000. */
    public Builder snapshotEvery(long entries) {
      if (entries < 10) {
        throw new IllegalArgumentException("snapshot_every must be at least 10 entries, got " + entries);
      }
      this.snapshotEvery = entries;
      return this;
    }

    /**
     * The recovery step for a member whose Raft storage was lost or restored from an older copy
     * (its start is otherwise refused): {@link #start()} removes it from the group's voters,
     * discards its Raft storage, starts it blank and adds it back; Ratis brings it up to date
     * before its vote counts again. Needs a Raft leader and, while this member is out, a majority
     * of the others (in a three-member cluster: both other members up). Use it for one start only.
     */
    public Builder rejoin(boolean value) { this.rejoin = value; return this; }

    /** @throws IllegalArgumentException naming the first missing or inconsistent setting */
    public FailoverMember build() {
      if (memberId == null) {
        throw new IllegalArgumentException("member id is required");
      }
      if (clusterName == null || clusterName.isBlank()) {
        throw new IllegalArgumentException("cluster name is required");
      }
      if (storage == null && host == null) {
        throw new IllegalArgumentException("storage directory is required");
      }
      Objects.requireNonNull(timing, "timing");
      Set<MemberId> ids = new HashSet<>();
      Set<String> addresses = new HashSet<>();
      for (Peer p : peers) {
        if (!ids.add(p.id())) {
          throw new IllegalArgumentException("peer " + p.id() + " is listed twice");
        }
        if (!addresses.add(p.raftAddress())) {
          throw new IllegalArgumentException("raft address " + p.raftAddress() + " is used by two peers");
        }
      }
      Peer self = peers.stream().filter(p -> p.id().equals(memberId)).findFirst().orElseThrow(() ->
          new IllegalArgumentException("member " + memberId + " is not among the peers " + ids));
      if (peers.stream().noneMatch(p -> p.kind() == MemberKind.DATA)) {
        throw new IllegalArgumentException("the peers include no data member");
      }
      if (self.kind() == MemberKind.DATA && database == null) {
        throw new IllegalArgumentException("data member " + memberId + " needs a database adapter");
      }
      if (self.kind() == MemberKind.WITNESS && database != null) {
        throw new IllegalArgumentException("witness " + memberId + " cannot have a database adapter");
      }
      RaftTlsParameters tls = host == null ? raftSecurity() : hostedOn(host, self);
      if (peers.size() % 2 == 0) {
        log.warn("cluster {} has {} voting members: an even number tolerates no more failures than one fewer",
            clusterName, peers.size());
      }
      return new FailoverMember(this, tls);
    }

    private RaftTlsParameters hostedOn(RaftHost h, Peer self) {
      if (storage != null || raftTls != null || insecureRaft || raftBindHost != null) {
        throw new IllegalArgumentException("member " + memberId + " of cluster " + clusterName + " runs on a shared"
            + " Raft server: its storage, TLS and bind host are the server's; do not set them on the member");
      }
      if (!h.memberId().equals(memberId)) {
        throw new IllegalArgumentException("the shared Raft server is member " + h.memberId() + "'s, not " + memberId + "'s");
      }
      if (!self.raftAddress().equals(h.raftAddress())) {
        throw new IllegalArgumentException("cluster " + clusterName + " lists " + memberId + " at " + self.raftAddress()
            + " but its shared Raft server is at " + h.raftAddress());
      }
      if (!timing.electionTimeoutMin().equals(h.timing().electionTimeoutMin())
          || !timing.electionTimeoutMax().equals(h.timing().electionTimeoutMax())) {
        throw new IllegalArgumentException("cluster " + clusterName + ": the election timeouts must be those of the"
            + " shared Raft server (" + h.timing().electionTimeoutMin().toMillis() + "-"
            + h.timing().electionTimeoutMax().toMillis() + " ms), which every cluster on it shares");
      }
      return h.tls();
    }

    private RaftTlsParameters raftSecurity() {
      if (raftTls == null && !insecureRaft) {
        throw new IllegalArgumentException("member " + memberId + " has no Raft TLS: set raftTls (mutual TLS against"
            + " the cluster CA) or, only where nobody else can reach the Raft port, insecureRaft()");
      }
      if (raftTls != null && insecureRaft) {
        throw new IllegalArgumentException("member " + memberId + " sets both raftTls and insecureRaft(); choose one");
      }
      if (insecureRaft) {
        return RaftTlsParameters.insecure();
      }
      return RaftTlsParameters.load(raftTls, memberId, clock.instant());
    }
  }
}

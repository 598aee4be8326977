package io.ratisfailover;

import io.ratisfailover.internal.auth.MemberKey;
import io.ratisfailover.internal.control.AdminGate;
import io.ratisfailover.internal.control.AgentPolicy;
import io.ratisfailover.internal.control.MemberThreads;
import io.ratisfailover.internal.control.MemberViews;
import io.ratisfailover.internal.control.MembershipChanges;
import io.ratisfailover.internal.control.MemberRuntime;
import io.ratisfailover.internal.control.RenewalClock;
import io.ratisfailover.internal.control.RuntimeConfig;
import io.ratisfailover.internal.control.StateWatchers;
import io.ratisfailover.internal.control.Submitter;
import io.ratisfailover.internal.ratis.RaftNode;
import io.ratisfailover.internal.ratis.RaftTlsParameters;
import io.ratisfailover.internal.ratis.RatisConsensus;
import io.ratisfailover.internal.ratis.RatisProperties;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.spi.DatabaseAdapter;
import io.ratisfailover.spi.Fencer;
import io.ratisfailover.spi.Watchdog;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.UnaryOperator;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftGroup;
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

  private final Builder config;
  private final Peer selfPeer;
  private final MemberRuntime runtime;
  private final AdminGate admin;
  private final MemberViews views;
  private final MembershipChanges membership;
  private final RatisConsensus consensus;
  private final MemberLifecycle lifecycle;
  private volatile boolean started;
  private volatile boolean closed;

  private FailoverMember(Builder b, RaftTlsParameters tls) {
    this.config = b;
    this.selfPeer = b.peers.stream().filter(p -> p.id().equals(b.memberId)).findFirst().orElseThrow();
    Optional<RaftHost> host = Optional.ofNullable(b.host);
    RaftNode raft = new RaftNode(new RaftNode.Settings(b.memberId, b.clusterName, b.peers, b.timing, b.raftStorage(),
        b.snapshotEvery, Optional.ofNullable(b.raftBindHost), b.rejoin, b.leaderPreference), tls, host.map(RaftHost::server));
    RaftGroup group = raft.group();
    MemberThreads threads = new MemberThreads(b.memberId);
    this.consensus = new RatisConsensus(b.memberId, () -> RaftClient.newBuilder().setRaftGroup(group)
        .setProperties(RatisProperties.client(b.timing)).setParameters(tls.parameters())
        .setRetryPolicy(RatisConsensus.retryPolicy()).build(),
        raft::division, b.peers, threads.adminLane(), b.timing.electionTimeoutMin(), b.leaderPreference, tls);
    Optional<RaftTls> files = b.host == null ? Optional.ofNullable(b.raftTls) : b.host.raftTls();
    Optional<MemberKey> key = files.map(f -> MemberKey.load(b.memberId, b.clusterName, f));
    // Incarnations grow from one start to the next (the submitter moves past a higher recorded one).
    Submitter submitter = new Submitter(b.memberId, b.clock.millis(), b.clock, consensus, key);
    RuntimeConfig runtimeConfig = new RuntimeConfig(b.memberId, selfPeer.kind(), b.clusterName, b.peers,
        b.initialSettings, b.timing, b.tags, b.apiUrl, key.map(MemberKey::ca), b.switchoverDrain);
    this.runtime = new MemberRuntime(runtimeConfig, threads.loop(), b.ticker, b.clock, submitter, consensus, b.database,
        threads.operationLane(), threads.fenceLane(), b.fencer, b.watchdog, RenewalClock.LOCAL, AgentPolicy.STANDARD,
        new RoleListeners(b.roleListeners, b.listenerExecutor));
    StateWatchers watchers = new StateWatchers();
    this.admin = new AdminGate(b.memberId, runtime::snapshot, submitter, watchers, b.timing, b.ticker, b.clock,
        () -> started && !closed);
    this.membership = new MembershipChanges(b.memberId, runtime::snapshot, admin, consensus, b.timing, b.ticker);
    this.views = new MemberViews(b.memberId, selfPeer.kind(), b.clusterName, b.timing, b.ticker, runtime::snapshot,
        raft::currentTerm);
    this.lifecycle = new MemberLifecycle(b.memberId, selfPeer.kind(), b.clusterName,
        host.isEmpty() ? Optional.of(b.storage) : Optional.empty(), raft, threads, runtime, consensus, watchers, key, tls,
        b.database, b.timing.operationTimeout());
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
    lifecycle.start();
  }

  /**
   * Completes, with a one-line error, when this member finds after it started that its cluster
   * name or peers list differs from the cluster's (a new cluster whose members started together
   * with different lists; at start the peers that answer are asked instead and {@link #start}
   * throws), or once it applies its own removal from the cluster ({@link #removeMember}). The
   * member then does nothing but keep its database fenced: stop it (and fix the configuration).
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
    lifecycle.close();
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

  /**
   * The Raft group's voters, as this member's Raft server holds the latest configuration: after a
   * membership change, the cluster's members (the configuration files may lag behind).
   *
   * @throws IllegalStateException before {@link #start()}
   */
  public List<MemberId> voters() {
    return consensus.voters();
  }

  @Override
  public List<MemberId> addMember(Peer peer, Duration wait) {
    return membership.add(peer, wait);
  }

  @Override
  public List<MemberId> removeMember(MemberId member, Duration wait) {
    return membership.remove(member, wait);
  }

  @Override
  public List<MemberId> replaceMember(MemberId old, Peer replacement, Duration wait) {
    return membership.replace(old, replacement, wait);
  }

  @Override
  public CompletableFuture<Void> restartDatabase() {
    return runtime.operatorCommands().restart();
  }

  @Override
  public CompletableFuture<Void> reloadDatabase() {
    return runtime.operatorCommands().reload();
  }

  @Override
  public CompletableFuture<Void> reinitializeDatabase() {
    return runtime.operatorCommands().reinitialize();
  }

  /** Configures a member; {@link #build()} checks everything and names the first problem. */
  public static final class Builder {
    /** How often the state is snapshotted unless {@link #snapshotEvery} says otherwise. */
    public static final long DEFAULT_SNAPSHOT_EVERY = RatisProperties.SNAPSHOT_EVERY;

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
    private RaftLeaderPreference leaderPreference = RaftLeaderPreference.STANDBY;
    private Duration switchoverDrain = Duration.ZERO;

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
    /**
     * Which members should lead Raft (and so arbitrate) besides the primary's, which never should:
     * a standby by default, so that a witness shared by many clusters leads none of them;
     * {@link RaftLeaderPreference#WITNESS} for the behaviour before. The same on every member.
     */
    public Builder raftLeaderPreference(RaftLeaderPreference value) {
      this.leaderPreference = Objects.requireNonNull(value, "raftLeaderPreference");
      return this;
    }
    /**
     * In a switchover, how long the primary answers 503 on {@code /primary} while its database
     * still takes writes, before it stops it: routers that poll {@code /primary} start dropping it
     * while writes still work, and the next primary's {@code primary_hold_off} counts from the start
     * of the drain. Zero (the default) stops at once; at most one minute. The HTTP probe's
     * configuration says what suits its routers ({@code ProbeConfig#switchoverDrain}).
     */
    public Builder switchoverDrain(Duration value) {
      Objects.requireNonNull(value, "switchoverDrain");
      if (value.isNegative() || value.compareTo(Duration.ofMinutes(1)) > 0) {
        throw SettingException.at("switchover_drain", "must be between 0 and 1 minute, got " + value);
      }
      this.switchoverDrain = value;
      return this;
    }
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
    public Builder snapshotEvery(long entries) { this.snapshotEvery = entries; return this; }

    /**
     * The recovery step for a member whose Raft storage was lost or restored from an older copy
     * (its start is otherwise refused): {@link #start()} removes it from the group's voters,
     * discards its Raft storage, starts it blank and adds it back; Ratis brings it up to date
     * before its vote counts again. Needs a Raft leader and, while this member is out, a majority
     * of the others (in a three-member cluster: both other members up). Use it for one start only.
     */
    public Builder rejoin(boolean value) { this.rejoin = value; return this; }

    /**
     * Checks every setting as {@link #build()} does, except the database adapter, which a
     * configuration does not carry: the one place a member's settings are validated, whether they
     * come from code, from {@code DataMemberConfig} or from a program's configuration file.
     *
     * @throws SettingException naming the first missing or inconsistent setting
     */
    public Builder check() {
      settings();
      security();
      return this;
    }

    /** @throws SettingException naming the first missing or inconsistent setting */
    public FailoverMember build() {
      settings();
      SettingsCheck.database(memberId, peers, database);
      if (peers.size() % 2 == 0) {
        log.warn("cluster {} has {} voting members: an even number tolerates no more failures than one fewer",
            clusterName, peers.size());
      }
      return new FailoverMember(this, security());
    }

    private void settings() {
      SettingsCheck.settings(memberId, clusterName, raftStorage(), timing, snapshotEvery, peers);
    }

    /** Where the Raft storage is checked before the group starts: the member's own, or the host's resting place. */
    private Path raftStorage() {
      return host == null ? storage : host.server().restingStorage();
    }

    private RaftTlsParameters security() {
      if (host == null) {
        return raftSecurity();
      }
      boolean ownServerSet = storage != null || raftTls != null || insecureRaft || raftBindHost != null;
      return SettingsCheck.hostedOn(host, memberId, clusterName, peers, timing, ownServerSet);
    }

    private RaftTlsParameters raftSecurity() {
      return SettingsCheck.raftSecurity(memberId, raftTls, insecureRaft, clock.instant());
    }
  }
}

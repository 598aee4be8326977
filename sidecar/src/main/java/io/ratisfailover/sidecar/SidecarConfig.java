package io.ratisfailover.sidecar;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.MemberId;
import io.ratisfailover.Peer;
import io.ratisfailover.RaftTls;
import io.ratisfailover.Tags;
import io.ratisfailover.Timing;
import io.ratisfailover.node.config.ApiSection;
import io.ratisfailover.node.config.Callbacks;
import io.ratisfailover.node.config.CallbacksSection;
import io.ratisfailover.node.config.ConfigException;
import io.ratisfailover.node.config.ConfigFiles;
import io.ratisfailover.node.config.PeerSection;
import io.ratisfailover.node.config.RaftTlsSection;
import io.ratisfailover.node.config.SettingsSection;
import io.ratisfailover.node.config.TimingSection;
import io.ratisfailover.node.config.Values;
import io.ratisfailover.postgres.DataMemberConfig;
import io.ratisfailover.postgres.PgPool;
import io.ratisfailover.postgres.PostgresConfig;
import io.ratisfailover.probe.ProbeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The sidecar's configuration file, in Patroni's spirit ({@code cluster} is Patroni's {@code scope},
 * {@code member} its {@code name}):
 *
 * <pre>
 * cluster: orders
 * member: pg1
 * peers:
 *   - {id: pg1, kind: data, raft: 10.0.0.1:7001}
 *   - {id: pg2, kind: data, raft: 10.0.0.2:7001}
 *   - {id: w1, kind: witness, raft: 10.0.0.3:7001}
 * raft:
 *   storage: /var/lib/ratis-failover/pg1
 *   tls: {certificate: /etc/ratis-failover/pg1.pem, key: /etc/ratis-failover/pg1.key, ca: /etc/ratis-failover/cluster-ca.pem}
 * timing: {profile: default}
 * settings: {synchronous_mode: on}          # how a new cluster starts; later: PATCH /config
 * tags: {nofailover: false, failover_priority: 1}
 * api: {listen: 10.0.0.1:8008, username: admin, password: env:RF_API_PASSWORD}
 * postgresql:
 *   data_dir: /var/lib/postgresql/15/orders
 *   listen: 0.0.0.0:5432
 *   connect_address: 10.0.0.1:5432
 *   superuser: {username: postgres, password: env:PG_SUPERUSER_PASSWORD}
 *   replication: {username: replicator, password: file:/etc/ratis-failover/replication.pw}
 *   parameters: {max_connections: "200"}
 *   client_networks: [10.0.0.0/24]
 * watchdog: {mode: "off", postmaster_guard: true}   # a device needs a ttl well above safety_margin
 * callbacks: {on_role_change: /usr/local/bin/move-vip, timeout: 30s}   # run as Patroni runs them
 * pgpool: {pcp_host: 10.0.0.9, pcp_port: 9898, pcp_user: rfailover, pcp_password_file: /etc/ratis-failover/pcppass,
 *          node_id: 0}                 # told when this member (pgpool's backend 0) becomes the primary
 * backup: {tool: pgbackrest, stanza: orders, replica_methods: [pgbackrest, basebackup]}   # see BackupSection
 * </pre>
 */
public record SidecarConfig(String cluster, String member, List<PeerSection> peers, RaftSection raft,
    TimingSection timing, SettingsSection settings, TagsSection tags, ApiSection api, PostgresSection postgresql,
    WatchdogSettings.Section watchdog, CallbacksSection callbacks, PgPoolSection pgpool, BackupSection backup) {

  /**
   * {@code raft:} — {@code tls} is required unless {@code insecure: true} says that the Raft port
   * runs without TLS and authentication (only where nobody else can reach it). {@code leader_preference}
   * is {@code standby} (default) or {@code witness}: which members should lead Raft, the same on every member.
   */
  public record RaftSection(String storage, String bindHost, Long snapshotEvery, RaftTlsSection tls, Boolean insecure,
      String leaderPreference) {}

  /** {@code tags:} — Patroni's tags. */
  public record TagsSection(Boolean nofailover, Boolean noloadbalance, Boolean nosync, Integer failoverPriority,
      Map<String, String> custom) {}

  /** {@code postgresql.superuser:} and {@code postgresql.replication:} */
  public record CredentialsSection(String username, String password) {}

  /** {@code postgresql:} */
  public record PostgresSection(String dataDir, String binDir, String listen, String connectAddress, String osUser,
      CredentialsSection superuser, CredentialsSection replication, Map<String, String> parameters,
      List<String> clientNetworks, List<String> initdbArguments, Boolean allowDataDirectoryRemoval,
      String rewindPolicy, String logFile, String connectTimeout, String statusTimeout, String startTimeout,
      String stopTimeout, String promoteTimeout, String provisionTimeout, SslSection ssl) {}

  /**
   * {@code postgresql.ssl:} — PEM files for TLS between members; {@code verify} is
   * {@code verify-full} (default) or {@code verify-ca}.
   */
  public record SslSection(String certificate, String key, String ca, String verify) {}

  /**
   * {@code pgpool:} — a PgPool-II to tell, through PCP, when this member becomes the primary;
   * {@code node_id} is this member's backend number in its {@code pgpool.conf}.
   */
  public record PgPoolSection(String pcpHost, Integer pcpPort, String pcpUser, String pcpPasswordFile, Integer nodeId,
      String timeout, String binDir) {}

  /** The PgPool-II action: whom to tell, and this member's backend number there. */
  public record PgPoolPlan(PgPool.Config config, int nodeId) {}

  /**
   * Everything the sidecar starts with, checked.
   *
   * @param data the member and its server, validated by {@link DataMemberConfig} as an embedding
   *     application's are
   */
  public record Plan(DataMemberConfig data, ProbeConfig probe, WatchdogSettings watchdog, Callbacks callbacks,
      Optional<PgPoolPlan> pgpool) {
    public String cluster() {
      return data.clusterName();
    }

    public MemberId member() {
      return data.member();
    }

    public Timing timing() {
      return data.timing();
    }

    public PostgresConfig postgres() {
      return data.postgres();
    }
  }

  /** The file's key for each setting {@link DataMemberConfig} and the member builder may refuse. */
  private static final Map<String, String> KEYS = Map.ofEntries(Map.entry("clusterName", "cluster"),
      Map.entry("memberId", "member"), Map.entry("peers", "peers"), Map.entry("storageDirectory", "raft.storage"),
      Map.entry("snapshotEvery", "raft.snapshot_every"), Map.entry("raftTls", "raft.tls"),
      Map.entry("insecureRaft", "raft.insecure"), Map.entry("timing", "timing"), Map.entry("postgres", "postgresql"),
      Map.entry("postgres.statusTimeout", "postgresql.status_timeout"));

  public static Plan load(Path file, Map<String, String> environment) {
    SidecarConfig config = ConfigFiles.read(file, SidecarConfig.class);
    return ConfigFiles.check(file.toString(), () -> config.plan(environment));
  }

  public static Plan parse(String source, String yaml, Map<String, String> environment) {
    SidecarConfig config = ConfigFiles.parse(source, yaml, SidecarConfig.class);
    return ConfigFiles.check(source, () -> config.plan(environment));
  }

  Plan plan(Map<String, String> env) {
    String name = Values.required("cluster", cluster);
    MemberId self = Values.checked("member", () -> MemberId.of(Values.required("member", member)));
    List<Peer> resolved = PeerSection.toPeers("peers", Values.required("peers", peers));
    RaftSection r = Values.required("raft", raft);
    Path storage = Path.of(Values.required("raft.storage", r.storage()));
    Optional<RaftTls> tls = RaftTlsSection.resolve("raft", r.tls(), r.insecure(), self);
    Timing t = (timing == null ? TimingSection.DEFAULT : timing).toTiming("timing");
    ClusterSettings s = settings == null ? ClusterSettings.DEFAULT : settings.toSettings("settings");
    ApiSection a = Values.required("api", api);
    ProbeConfig probe = a.toProbeConfig("api", null, env);
    PostgresConfig pg = postgres(Values.required("postgresql", postgresql), t, env,
        backup == null ? null : backup.toBackup("backup"));
    // The file only translates keys: every rule on the member is DataMemberConfig's.
    DataMemberConfig.Builder b = DataMemberConfig.builder().clusterName(name).member(self).peers(resolved)
        .storageDirectory(storage).timing(t).initialSettings(s).tags(resolvedTags()).apiUrl(a.url()).postgres(pg)
        .raftBindHost(r.bindHost())
        .raftLeaderPreference(Values.raftLeaderPreference("raft.leader_preference", r.leaderPreference()));
    tls.ifPresentOrElse(b::raftTls, b::insecureRaft);
    if (r.snapshotEvery() != null) {
      b.snapshotEvery(r.snapshotEvery());
    }
    DataMemberConfig data = Values.built(KEYS, "raft", b::build);
    return new Plan(data, probe, watchdog == null ? WatchdogSettings.DEFAULT : watchdog.toSettings("watchdog", t),
        callbacks == null ? Callbacks.NONE : callbacks.toCallbacks("callbacks"),
        Optional.ofNullable(pgpool).map(SidecarConfig::pgpool));
  }

  private static PgPoolPlan pgpool(PgPoolSection p) {
    Path passwords = Path.of(Values.required("pgpool.pcp_password_file", p.pcpPasswordFile()));
    if (!Files.isRegularFile(passwords) || !Files.isReadable(passwords)) {
      throw ConfigException.at("pgpool.pcp_password_file", passwords + " is not a readable file");
    }
    int nodeId = Values.required("pgpool.node_id", p.nodeId());
    if (nodeId < 0) {
      throw ConfigException.at("pgpool.node_id", "must be this member's backend number in pgpool.conf (0 or more), got " + nodeId);
    }
    Duration timeout = p.timeout() == null ? Duration.ofSeconds(10) : Values.duration("pgpool.timeout", p.timeout());
    String host = Values.required("pgpool.pcp_host", p.pcpHost());
    String user = Values.required("pgpool.pcp_user", p.pcpUser());
    PgPool.Config config = Values.checked("pgpool", () -> new PgPool.Config(host, p.pcpPort() == null ? 9898 : p.pcpPort(),
        user, passwords, timeout, Optional.ofNullable(p.binDir()).map(Path::of)));
    return new PgPoolPlan(config, nodeId);
  }

  private Tags resolvedTags() {
    if (tags == null) {
      return Tags.DEFAULT;
    }
    return Values.checked("tags", () -> new Tags(bool(tags.nofailover()), bool(tags.noloadbalance()), bool(tags.nosync()),
        tags.failoverPriority() == null ? 1 : tags.failoverPriority(), tags.custom() == null ? Map.of() : tags.custom()));
  }

  private static boolean bool(Boolean b) {
    return b != null && b;
  }

  private static PostgresConfig postgres(PostgresSection p, Timing timing, Map<String, String> env,
      io.ratisfailover.postgres.BackupConfig backup) {
    PostgresConfig.Builder b = PostgresConfig.builder().backup(backup);
    b.dataDirectory(Path.of(Values.required("postgresql.data_dir", p.dataDir())));
    if (p.binDir() != null) {
      b.binDirectory(Path.of(p.binDir()));
    }
    io.ratisfailover.HostPort listen = Values.checked("postgresql.listen",
        () -> io.ratisfailover.HostPort.parse(Values.required("postgresql.listen", p.listen()), "postgresql.listen"));
    b.listenHost(listen.host()).port(listen.port());
    if (p.connectAddress() != null) {
      io.ratisfailover.HostPort connect = Values.checked("postgresql.connect_address",
          () -> io.ratisfailover.HostPort.parse(p.connectAddress(), "postgresql.connect_address"));
      if (connect.port() != listen.port()) {
        throw ConfigException.at("postgresql.connect_address", "port " + connect.port()
            + " differs from the listen port " + listen.port() + "; port forwarding is not supported");
      }
      b.advertisedHost(connect.host());
    }
    if (p.osUser() != null) {
      b.osUser(p.osUser());
    }
    CredentialsSection su = Values.required("postgresql.superuser", p.superuser());
    b.superuser(Values.required("postgresql.superuser.username", su.username()),
        Values.required("postgresql.superuser.password", Values.secret("postgresql.superuser.password", su.password(), env)));
    CredentialsSection repl = Values.required("postgresql.replication", p.replication());
    b.replication(Values.required("postgresql.replication.username", repl.username()),
        Values.required("postgresql.replication.password", Values.secret("postgresql.replication.password", repl.password(), env)));
    if (p.parameters() != null) {
      b.serverParameters(p.parameters());
    }
    if (p.clientNetworks() != null) {
      b.clientNetworks(p.clientNetworks());
    }
    if (p.initdbArguments() != null) {
      b.initdbArguments(p.initdbArguments());
    }
    if (p.allowDataDirectoryRemoval() != null) {
      b.allowDataDirectoryRemoval(p.allowDataDirectoryRemoval());
    }
    if (p.rewindPolicy() != null) {
      switch (p.rewindPolicy()) {
        case "rewind": b.rewindPolicy(PostgresConfig.RewindPolicy.REWIND); break;
        case "rewind_then_reclone": b.rewindPolicy(PostgresConfig.RewindPolicy.REWIND_THEN_RECLONE); break;
        default: throw ConfigException.at("postgresql.rewind_policy", "'" + p.rewindPolicy()
            + "' is not one of rewind, rewind_then_reclone");
      }
    }
    if (p.logFile() != null) {
      b.logFile(Path.of(p.logFile()));
    }
    if (p.ssl() != null) {
      SslSection ssl = p.ssl();
      String v = ssl.verify() == null ? "verify-full" : ssl.verify();
      PostgresConfig.Verify verify = switch (v) {
        case "verify-full" -> PostgresConfig.Verify.VERIFY_FULL;
        case "verify-ca" -> PostgresConfig.Verify.VERIFY_CA;
        default -> throw ConfigException.at("postgresql.ssl.verify", "'" + v + "' is not one of verify-full, verify-ca");
      };
      b.ssl(Values.checked("postgresql.ssl", () -> new PostgresConfig.Ssl(
          Path.of(Values.required("postgresql.ssl.certificate", ssl.certificate())),
          Path.of(Values.required("postgresql.ssl.key", ssl.key())),
          Path.of(Values.required("postgresql.ssl.ca", ssl.ca())), verify)));
    }
    duration(b::connectTimeout, "postgresql.connect_timeout", p.connectTimeout());
    // The adapter's own status bound must stay inside the agent's.
    b.statusTimeout(timing.statusTimeout().multipliedBy(4).dividedBy(5));
    duration(b::statusTimeout, "postgresql.status_timeout", p.statusTimeout());
    duration(b::startTimeout, "postgresql.start_timeout", p.startTimeout());
    duration(b::stopTimeout, "postgresql.stop_timeout", p.stopTimeout());
    duration(b::promoteTimeout, "postgresql.promote_timeout", p.promoteTimeout());
    duration(b::provisionTimeout, "postgresql.provision_timeout", p.provisionTimeout());
    return Values.checked("postgresql", b::build);
  }

  private static void duration(Consumer<Duration> setter, String key, String value) {
    Duration d = Values.duration(key, value);
    if (d != null) {
      setter.accept(d);
    }
  }
}

package io.ratisfailover.witness;

import io.ratisfailover.FailoverMember;
import io.ratisfailover.HostPort;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.RaftHost;
import io.ratisfailover.RaftLeaderPreference;
import io.ratisfailover.RaftTls;
import io.ratisfailover.Timing;
import io.ratisfailover.node.config.ApiSection;
import io.ratisfailover.node.config.ConfigException;
import io.ratisfailover.node.config.PeerSection;
import io.ratisfailover.node.config.RaftTlsSection;
import io.ratisfailover.node.config.SettingsSection;
import io.ratisfailover.node.config.TimingSection;
import io.ratisfailover.node.config.Values;
import io.ratisfailover.probe.ProbeConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The witness's configuration file. One witness process can serve several independent clusters,
 * one Raft group each, under one member name:
 *
 * <pre>
 * member: w1
 * storage: /var/lib/ratis-failover-witness      # one subdirectory per cluster
 * timing: {profile: default}                     # for every cluster unless a cluster sets its own
 * raft:                                          # for every cluster unless a cluster sets its own
 *   tls: {certificate: /etc/ratis-failover/w1.pem, key: /etc/ratis-failover/w1.key, ca: /etc/ratis-failover/orders-ca.pem}
 * api: {username: admin, password: env:WITNESS_API_PASSWORD}
 * clusters:
 *   - name: orders
 *     api_listen: 10.0.0.3:8008
 *     peers:
 *       - {id: pg1, kind: data, raft: 10.0.0.1:7001}
 *       - {id: pg2, kind: data, raft: 10.0.0.2:7001}
 *       - {id: w1, kind: witness, raft: 10.0.0.3:7001}
 * </pre>
 */
public record WitnessConfig(String member, String storage, TimingSection timing, RaftSection raft, ApiSection api,
    List<ClusterEntry> clusters, String apiListen) {

  /** One entry of {@code clusters:}; its {@code raft:} replaces the top-level one for this cluster. */
  public record ClusterEntry(String name, String apiListen, String raftBindHost, TimingSection timing,
      RaftSection raft, SettingsSection settings, List<PeerSection> peers) {}

  /**
   * {@code raft:} — as the sidecar's {@code raft.tls} and {@code raft.insecure}. Each cluster
   * should have its own CA, so a witness serving several clusters usually sets it per cluster.
   * At the top level only, {@code address} (with an optional {@code bind_host}) puts every
   * cluster on one shared Raft server listening there; {@code tls} is then that server's, for
   * every cluster. {@code leader_preference}, as the sidecar's: {@code standby} (default) or
   * {@code witness}, the same on every member of a cluster.
   */
  public record RaftSection(RaftTlsSection tls, Boolean insecure, String address, String bindHost,
      String leaderPreference) {}

  /**
   * The one Raft server every cluster shares when {@code raft.address} is set: each cluster's peers
   * list the witness at {@code address}; the clusters share its election timeouts and TLS identity.
   *
   * @param storage where the groups' directories live, {@code <storage>/raft}
   */
  public record HostPlan(MemberId member, String address, String bindHost, Path storage, Timing timing,
      Optional<RaftTls> raftTls) {}

  /**
   * One cluster this witness serves, ready to start.
   *
   * @param settingsIgnored the entry sets {@code settings}: checked, but never used, since a new
   *     cluster starts with the settings of the data member that bootstraps it
   * @param probe the HTTP API for this cluster, when {@code api_listen} is set
   * @param host the shared Raft server this cluster's group runs on; empty: a server of its own
   */
  public record Plan(String cluster, MemberId member, List<Peer> peers, Path storage, Timing timing,
      boolean settingsIgnored, Optional<ProbeConfig> probe, String raftBindHost, Optional<RaftTls> raftTls,
      Optional<HostPlan> host, RaftLeaderPreference leaderPreference) {

    /**
     * The member this plan describes, every setting in place; {@link #plans} has had it check them.
     * On a shared Raft port ({@link #host}) the storage and TLS are the shared server's: the member
     * is checked with them, and started with {@link #memberBuilder(RaftHost)}.
     */
    public FailoverMember.Builder memberBuilder() {
      FailoverMember.Builder b = common().storageDirectory(storage);
      raftTls.ifPresentOrElse(b::raftTls, b::insecureRaft);
      if (raftBindHost != null) {
        b.raftBindHost(raftBindHost);
      }
      return b;
    }

    /** The member this plan describes, its group on {@code server}, the started shared Raft server of {@link #host}. */
    public FailoverMember.Builder memberBuilder(RaftHost server) {
      return common().raftHost(server);
    }

    private FailoverMember.Builder common() {
      FailoverMember.Builder b = FailoverMember.builder().clusterName(cluster).memberId(member).peers(peers)
          .timing(timing).raftLeaderPreference(leaderPreference);
      probe.ifPresent(p -> b.apiUrl(p.scheme() + "://" + p.host() + ":" + p.port()));
      return b;
    }
  }

  /** Reads and checks a witness configuration file; secrets come from {@code env}. */
  public static List<Plan> load(Path file, Map<String, String> env) {
    WitnessConfig config = io.ratisfailover.node.config.ConfigFiles.read(file, WitnessConfig.class);
    return io.ratisfailover.node.config.ConfigFiles.check(file.toString(), () -> config.plans(env));
  }

  /**
   * The one HTTP port for every cluster ({@code GET /clusters}, {@code /cluster/{name}/...},
   * {@code POST /clusters/reload}), when the top-level {@code api_listen} is set; its
   * authentication is the {@code api:} section's. Read from the file apart from the clusters:
   * a reload does not change it.
   */
  public static Optional<ProbeConfig> clustersApi(Path file, Map<String, String> env) {
    WitnessConfig config = io.ratisfailover.node.config.ConfigFiles.read(file, WitnessConfig.class);
    return io.ratisfailover.node.config.ConfigFiles.check(file.toString(), () -> config.clustersApi(env));
  }

  Optional<ProbeConfig> clustersApi(Map<String, String> env) {
    return apiListen == null ? Optional.empty()
        : Optional.of((api == null ? ApiSection.NONE : api).toProbeConfig("api", apiListen, env));
  }

  /** Parses and checks configuration text; {@code source} names it in messages. */
  public static List<Plan> parse(String source, String yaml, Map<String, String> env) {
    WitnessConfig config = io.ratisfailover.node.config.ConfigFiles.parse(source, yaml, WitnessConfig.class);
    return io.ratisfailover.node.config.ConfigFiles.check(source, () -> config.plans(env));
  }

  /** Checks everything and resolves the clusters to serve; the first problem names its key. */
  public List<Plan> plans(Map<String, String> env) {
    MemberId self = Values.checked("member", () -> MemberId.of(Values.required("member", member)));
    Path root = Path.of(Values.required("storage", storage));
    if (clusters == null || clusters.isEmpty()) {
      throw ConfigException.at("clusters", "name at least one cluster");
    }
    Set<String> names = new HashSet<>();
    Set<String> ports = new HashSet<>();
    List<Plan> plans = new ArrayList<>();
    Optional<HostPlan> host = hostPlan(self, root);
    host.ifPresent(h -> ports.add(h.address()));
    clustersApi(env).ifPresent(p -> ports.add(new HostPort(p.host(), p.port()).toString()));
    Map<MemberId, String> fleetIds = new HashMap<>();
    for (int i = 0; i < clusters.size(); i++) {
      ClusterEntry c = clusters.get(i);
      String at = "clusters[" + i + "]";
      String name = Values.required(at + ".name", c.name());
      if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")) {
        throw ConfigException.at(at + ".name", "'" + name + "' must be letters, digits, '.', '_' or '-'");
      }
      if (!names.add(name)) {
        throw ConfigException.at(at + ".name", "cluster " + name + " is listed twice");
      }
      List<Peer> peers = PeerSection.toPeers(at + ".peers", Values.required(at + ".peers", c.peers()));
      Peer me = peers.stream().filter(p -> p.id().equals(self)).findFirst().orElseThrow(() ->
          ConfigException.at(at + ".peers", "member " + self + " is not among the peers of cluster " + name));
      if (me.kind() != MemberKind.WITNESS) {
        throw ConfigException.at(at + ".peers", "member " + self + " is listed as a data member; a witness must be kind: witness");
      }
      if (host.isPresent()) {
        requireOnHost(at, c, me, peers, host.get(), fleetIds);
      } else if (!ports.add(me.raftAddress())) {
        throw ConfigException.at(at + ".peers", "raft address " + me.raftAddress() + " is used by another cluster of this"
            + " witness (to serve several clusters on one Raft port, set raft.address)");
      }
      HostPort apiListen = c.apiListen() == null ? null : Values.checked(at + ".api_listen",
          () -> HostPort.parse(c.apiListen(), "api_listen"));
      if (apiListen != null && !ports.add(apiListen.toString())) {
        throw ConfigException.at(at + ".api_listen", apiListen + " is used twice");
      }
      Optional<ProbeConfig> probe = apiListen == null ? Optional.empty() : Optional.of(
          (api == null ? ApiSection.NONE : api).toProbeConfig("api", c.apiListen(), env));
      TimingSection t = c.timing() != null ? c.timing() : timing != null ? timing : TimingSection.DEFAULT;
      Timing resolved = t.toTiming(c.timing() != null ? at + ".timing" : "timing");
      if (c.settings() != null) {
        c.settings().toSettings(at + ".settings");
      }
      if (host.isPresent() && !sameElectionTimeouts(resolved, host.get().timing())) {
        throw ConfigException.at(at + ".timing", "the election timeouts must be the top-level timing's: every cluster"
            + " on the shared Raft port (raft.address) uses them");
      }
      if (c.raft() != null && c.raft().address() != null) {
        throw ConfigException.at(at + ".raft.address", "set the shared Raft address once, at the top level");
      }
      RaftSection r = c.raft() != null ? c.raft() : raft != null ? raft : new RaftSection(null, null, null, null, null);
      String raftAt = c.raft() != null ? at + ".raft" : "raft";
      Optional<RaftTls> tls = host.isPresent() ? host.get().raftTls()
          : RaftTlsSection.resolve(c.raft() != null ? at + ".raft" : "raft", r.tls(), r.insecure(), self);
      Plan plan = new Plan(name, self, List.copyOf(peers), host.map(HostPlan::storage).orElse(root.resolve(name)),
          resolved, c.settings() != null, probe, c.raftBindHost(), tls, host,
          Values.raftLeaderPreference(raftAt + ".leader_preference", r.leaderPreference()));
      // The rules the member builder applies when the witness starts, checked now under this file's keys.
      Values.built(Map.of("peers", at + ".peers", "raftTls", raftAt + ".tls", "insecureRaft", raftAt + ".insecure",
          "storageDirectory", "storage", "clusterName", at + ".name", "memberId", "member"), at,
          () -> plan.memberBuilder().check());
      plans.add(plan);
    }
    return plans;
  }

  private Optional<HostPlan> hostPlan(MemberId self, Path root) {
    if (raft == null || raft.address() == null) {
      if (raft != null && raft.bindHost() != null) {
        throw ConfigException.at("raft.bind_host", "only with raft.address (per cluster: raft_bind_host)");
      }
      return Optional.empty();
    }
    HostPort address = Values.checked("raft.address", () -> HostPort.parse(raft.address(), "raft.address"));
    Timing t = (timing != null ? timing : TimingSection.DEFAULT).toTiming("timing");
    Optional<RaftTls> tls = RaftTlsSection.resolve("raft", raft.tls(), raft.insecure(), self);
    return Optional.of(new HostPlan(self, address.toString(), raft.bindHost(), root.resolve("raft"), t, tls));
  }

  /**
   * A cluster on the shared Raft server lists the witness at its address and takes its TLS and bind
   * host from it; a data member id another cluster lists must be at the same Raft address there,
   * because the server keeps one connection per member id for all its groups (the same id at the
   * same address is one process serving several clusters on a shared server of its own).
   */
  private static void requireOnHost(String at, ClusterEntry c, Peer me, List<Peer> peers, HostPlan host,
      Map<MemberId, String> fleetIds) {
    if (!me.raftAddress().equals(host.address())) {
      throw ConfigException.at(at + ".peers", "lists " + me.id() + " at " + me.raftAddress() + ", but this witness"
          + " serves every cluster on raft.address " + host.address());
    }
    if (c.raft() != null || c.raftBindHost() != null) {
      throw ConfigException.at(at + (c.raft() != null ? ".raft" : ".raft_bind_host"), "a cluster on the shared Raft"
          + " port (raft.address) uses the top-level raft settings: one TLS identity serves every cluster");
    }
    for (Peer p : peers) {
      String before = p.id().equals(me.id()) ? null : fleetIds.putIfAbsent(p.id(), p.raftAddress());
      if (before != null && !before.equals(p.raftAddress())) {
        throw ConfigException.at(at + ".peers", "member id " + p.id() + " is used by another cluster of this witness"
            + " at " + before + "; on a shared Raft port a member id names one Raft address (for example prefix"
            + " data members' ids with the cluster name)");
      }
    }
  }

  private static boolean sameElectionTimeouts(Timing a, Timing b) {
    return a.electionTimeoutMin().equals(b.electionTimeoutMin()) && a.electionTimeoutMax().equals(b.electionTimeoutMax());
  }
}

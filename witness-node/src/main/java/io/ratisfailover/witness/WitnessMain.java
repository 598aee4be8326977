package io.ratisfailover.witness;

import io.ratisfailover.ClusterMember;
import io.ratisfailover.FailoverException;
import io.ratisfailover.FailoverMember;
import io.ratisfailover.RaftHost;
import io.ratisfailover.node.config.ConfigException;
import io.ratisfailover.probe.ClusterDirectory;
import io.ratisfailover.probe.ProbeServer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The witness: a voting member with no database, for one or several clusters (one Raft group
 * each), configured by a YAML file. It restarts from its Raft log directories. Its three options
 * are read by {@link WitnessArguments} rather than a CLI library, whose classes would stay loaded
 * for the life of a process whose footprint is a target.
 */
public final class WitnessMain {
  private static final Logger log = LoggerFactory.getLogger(WitnessMain.class);

  private WitnessMain() {}

  public static void main(String[] args) {
    PrintWriter out = new PrintWriter(System.out, true);
    PrintWriter err = new PrintWriter(System.err, true);
    System.exit(run(args, out, err));
  }

  /** Runs the witness until it is stopped; returns the process's exit code (2: bad arguments or configuration). */
  static int run(String[] args, PrintWriter out, PrintWriter err) {
    WitnessArguments arguments;
    try {
      arguments = WitnessArguments.parse(args);
    } catch (IllegalArgumentException e) {
      err.println(e.getMessage());
      err.println(WitnessArguments.USAGE);
      return 2;
    }
    if (arguments.help()) {
      out.println(WitnessArguments.USAGE);
      return 0;
    }
    List<WitnessConfig.Plan> plans;
    try {
      plans = WitnessConfig.load(arguments.config(), System.getenv());
    } catch (ConfigException e) {
      err.println("configuration error: " + e.getMessage());
      return 2;
    }
    if (arguments.check()) {
      plans.forEach(p -> out.println(arguments.config() + ": witness " + p.member() + " of cluster " + p.cluster() + ": OK"));
      return 0;
    }
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    Witness witness = new Witness(plans, arguments.rejoin());
    try {
      witness.start();
    } catch (FailoverException e) {
      err.println("cannot start: " + e.getMessage());
      witness.close();
      return 1;
    }
    Hangup.onSignal(() -> reload(witness, arguments.config()));
    Optional<ProbeServer> clustersApi;
    try {
      clustersApi = WitnessConfig.clustersApi(arguments.config(), System.getenv()).map(api -> ProbeServer.startFleet(
          "witness " + plans.get(0).member(), new Directory(witness, arguments.config()), api));
    } catch (RuntimeException e) {
      err.println("cannot start: " + e.getMessage());
      witness.close();
      return 1;
    }
    CompletableFuture<String> stopped = new CompletableFuture<>();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      clustersApi.ifPresent(ProbeServer::close);
      witness.close();
      stopped.complete("stopped");
    }, "witness-shutdown"));
    // A cluster whose name or peers list turns out to differ from this witness's configuration
    // ends the witness with one line (exiting runs the shutdown hook, which closes every member).
    CompletableFuture<String> refused = witness.refused();
    CompletableFuture.anyOf(stopped, refused).join();
    if (refused.isDone() && !stopped.isDone()) {
      err.println("witness refuses to run: " + refused.join());
      err.flush();
      return 1;
    }
    return 0;
  }

  /**
   * Re-reads the configuration file and applies it ({@link Witness#reload}), on SIGHUP; a file with
   * an error changes nothing and is reported in one line.
   */
  static Optional<Witness.Reload> reload(Witness witness, Path config) {
    try {
      return Optional.of(reloadOrThrow(witness, config));
    } catch (IllegalArgumentException | FailoverException e) {
      log.error("witness: configuration not (fully) reloaded: {}", e.getMessage());
      return Optional.empty();
    }
  }

  /** @throws IllegalArgumentException naming the configuration error, or why the change needs a restart */
  static Witness.Reload reloadOrThrow(Witness witness, Path config) {
    List<WitnessConfig.Plan> plans;
    try {
      plans = WitnessConfig.load(config, System.getenv());
    } catch (ConfigException e) {
      throw new IllegalArgumentException(config + " has an error, nothing changed: " + e.getMessage(), e);
    }
    return witness.reload(plans);
  }

  /** The witness's clusters as its one HTTP port ({@code api_listen}) serves them. */
  record Directory(Witness witness, Path config) implements ClusterDirectory {
    @Override
    public Map<String, ClusterMember> clusters() {
      return witness.clusters();
    }

    @Override
    public String reload() {
      try {
        return reloadOrThrow(witness, config).toString();
      } catch (FailoverException e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
    }
  }

  /**
   * The members of one witness process, one per cluster, and the shared Raft server they run on
   * when {@code raft.address} is set. {@link #reload} adds and removes clusters while the others run.
   */
  static final class Witness implements AutoCloseable {
    /** One cluster this witness serves: its plan, its member and the member's own HTTP API, if any. */
    private record Served(WitnessConfig.Plan plan, FailoverMember member, Optional<ProbeServer> probe) {}

    /** What a reload changed, by cluster name. */
    record Reload(List<String> added, List<String> removed, List<String> restarted) {
      @Override
      public String toString() {
        return "added " + added + ", removed " + removed + ", restarted " + restarted;
      }
    }

    private final List<WitnessConfig.Plan> plans;
    /** For the clusters of the first start only; a cluster added later by a reload starts normally. */
    private boolean rejoin;
    private final Map<String, Served> served = new LinkedHashMap<>();
    private Optional<WitnessConfig.HostPlan> hostPlan = Optional.empty();
    private Optional<RaftHost> host = Optional.empty();

    Witness(List<WitnessConfig.Plan> plans) {
      this(plans, false);
    }

    /** @param rejoin re-add this witness to every cluster's Raft group ({@link FailoverMember.Builder#rejoin}) */
    Witness(List<WitnessConfig.Plan> plans, boolean rejoin) {
      this.plans = plans;
      this.rejoin = rejoin;
    }

    synchronized void start() {
      hostPlan = sharedHost(plans);
      host = hostPlan.map(Witness::startHost);
      for (WitnessConfig.Plan plan : plans) {
        if (host.isEmpty()) {
          serve(plan);
          continue;
        }
        // On a shared port one cluster's bad entry must not keep the witness from all the others.
        try {
          serve(plan);
        } catch (FailoverException | IllegalArgumentException e) {
          log.error("witness {}: cluster {} is not served (the others are; reload once its entry is right): {}",
              plan.member(), plan.cluster(), e.getMessage());
        }
      }
      rejoin = false;
    }

    /**
     * Serves the clusters of {@code next} (a re-read configuration): starts the new ones, stops the
     * ones no longer listed, restarts those whose entry changed, and leaves the others running.
     *
     * @throws IllegalArgumentException when the shared Raft server's settings changed (that takes a restart);
     *     nothing was changed then
     * @throws FailoverException when a new cluster cannot start; the clusters handled before it stay as they are now
     */
    synchronized Reload reload(List<WitnessConfig.Plan> next) {
      Optional<WitnessConfig.HostPlan> nextHost = sharedHost(next);
      if (!nextHost.equals(hostPlan)) {
        throw new IllegalArgumentException("the shared Raft settings (raft.address, raft.tls, the top-level election"
            + " timeouts, storage) changed: restart the witness to apply them");
      }
      Map<String, WitnessConfig.Plan> wanted = new LinkedHashMap<>();
      next.forEach(p -> wanted.put(p.cluster(), p));
      List<String> removed = new ArrayList<>();
      List<String> restarted = new ArrayList<>();
      List<String> added = new ArrayList<>();
      for (Served s : List.copyOf(served.values())) {
        WitnessConfig.Plan plan = wanted.get(s.plan().cluster());
        if (plan == null || !plan.equals(s.plan())) {
          stop(s);
          (plan == null ? removed : restarted).add(s.plan().cluster());
        }
      }
      for (WitnessConfig.Plan plan : next) {
        if (!served.containsKey(plan.cluster())) {
          serve(plan);
          if (!restarted.contains(plan.cluster())) {
            added.add(plan.cluster());
          }
        }
      }
      log.info("witness: configuration reloaded: added {}, removed {}, restarted {}, {} unchanged", added, removed,
          restarted, served.size() - added.size() - restarted.size());
      return new Reload(added, removed, restarted);
    }

    private void serve(WitnessConfig.Plan plan) {
      if (plan.settingsIgnored()) {
        log.warn("witness {}: cluster {}: the settings in this witness's configuration are not used: a new cluster"
            + " starts with those of the data member that bootstraps it, and changes them with rfctl edit-config",
            plan.member(), plan.cluster());
      }
      FailoverMember.Builder b = host.isPresent() ? plan.memberBuilder(host.get()) : plan.memberBuilder();
      FailoverMember member = b.rejoin(rejoin).build();
      // The API and the member start side by side, each mostly class loading (two cores): the API
      // answers sooner, /health 503 until the member runs, as Patroni's REST API does while it starts.
      CompletableFuture<Optional<ProbeServer>> probeStarted = CompletableFuture.supplyAsync(
          () -> plan.probe().map(p -> ProbeServer.start(member, p)),
          task -> new Thread(task, "witness-api-start-" + plan.cluster()).start());
      try {
        member.start();
      } catch (RuntimeException e) {
        probeStarted.handle((probe, error) -> {
          if (probe != null) {
            probe.ifPresent(ProbeServer::close);
          }
          return null;
        }).join();
        throw e;
      }
      Optional<ProbeServer> probe;
      try {
        probe = probeStarted.join();
      } catch (CompletionException e) {
        member.close();
        throw e.getCause() instanceof RuntimeException r ? r : e;
      }
      served.put(plan.cluster(), new Served(plan, member, probe));
      if (host.isPresent()) {
        // A cluster that turns out to disagree with its entry stops alone (without a shared port, the witness ends).
        member.refused().thenAcceptAsync(reason -> stopRefused(plan.cluster(), member, reason));
      }
      log.info("witness {}: serving cluster {}", plan.member(), plan.cluster());
    }

    private synchronized void stopRefused(String cluster, FailoverMember member, String reason) {
      Served s = served.get(cluster);
      if (s != null && s.member() == member) {
        log.error("witness {}: cluster {} stopped (the others run on; reload once its entry is right): {}",
            s.plan().member(), cluster, reason);
        stop(s);
      }
    }

    private void stop(Served s) {
      served.remove(s.plan().cluster());
      s.probe().ifPresent(ProbeServer::close);
      s.member().close();
      log.info("witness {}: no longer serving cluster {}", s.plan().member(), s.plan().cluster());
    }

    private static Optional<WitnessConfig.HostPlan> sharedHost(List<WitnessConfig.Plan> plans) {
      return plans.stream().flatMap(p -> p.host().stream()).findFirst();
    }

    private static RaftHost startHost(WitnessConfig.HostPlan h) {
      RaftHost.Builder b = RaftHost.builder().memberId(h.member()).raftAddress(h.address())
          .storageDirectory(h.storage()).timing(h.timing());
      h.raftTls().ifPresentOrElse(b::raftTls, b::insecureRaft);
      if (h.bindHost() != null) {
        b.raftBindHost(h.bindHost());
      }
      RaftHost started = b.build();
      started.start();
      return started;
    }

    synchronized List<FailoverMember> members() {
      return served.values().stream().map(Served::member).toList();
    }

    /** The members by cluster name, in configuration order. */
    synchronized Map<String, ClusterMember> clusters() {
      Map<String, ClusterMember> byName = new LinkedHashMap<>();
      served.forEach((name, s) -> byName.put(name, s.member()));
      return byName;
    }

    /**
     * Completes with the first member's refusal to run with a cluster that disagrees with its
     * configuration; never on a shared Raft port, where such a cluster stops alone.
     */
    synchronized CompletableFuture<String> refused() {
      CompletableFuture<String> first = new CompletableFuture<>();
      if (host.isPresent()) {
        return first;
      }
      served.values().forEach(s -> s.member().refused().thenAccept(first::complete));
      return first;
    }

    @Override
    public synchronized void close() {
      List.copyOf(served.values()).forEach(this::stop);
      host.ifPresent(RaftHost::close);
    }
  }
}

package io.ratisfailover.witness;

import io.ratisfailover.FailoverException;
import io.ratisfailover.FailoverMember;
import io.ratisfailover.node.config.ConfigException;
import io.ratisfailover.probe.ProbeServer;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.metrics.MetricRegistries;
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
    // Ratis publishes its metrics over JMX unless a reporter is registered first; the witness serves
    // its own on /metrics, and the JMX reporter would keep the platform MBean server loaded for nothing.
    MetricRegistries.global().addReporterRegistration(registry -> { }, registry -> { });
    Witness witness = new Witness(plans, arguments.rejoin());
    try {
      witness.start();
    } catch (FailoverException e) {
      err.println("cannot start: " + e.getMessage());
      witness.close();
      return 1;
    }
    CompletableFuture<String> stopped = new CompletableFuture<>();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
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

  /** The members of one witness process, one per cluster. */
  static final class Witness implements AutoCloseable {
    private final List<WitnessConfig.Plan> plans;
    private final boolean rejoin;
    private final List<FailoverMember> members = new ArrayList<>();
    private final List<ProbeServer> probes = new ArrayList<>();

    Witness(List<WitnessConfig.Plan> plans) {
      this(plans, false);
    }

    /** @param rejoin re-add this witness to every cluster's Raft group ({@link FailoverMember.Builder#rejoin}) */
    Witness(List<WitnessConfig.Plan> plans, boolean rejoin) {
      this.plans = plans;
      this.rejoin = rejoin;
    }

    void start() {
      for (WitnessConfig.Plan plan : plans) {
        if (plan.settingsIgnored()) {
          log.warn("witness {}: cluster {}: the settings in this witness's configuration are not used: a new cluster"
              + " starts with those of the data member that bootstraps it, and changes them with rfctl edit-config",
              plan.member(), plan.cluster());
        }
        FailoverMember member = plan.memberBuilder().rejoin(rejoin).build();
        members.add(member);
        member.start();
        plan.probe().ifPresent(p -> probes.add(ProbeServer.start(member, p)));
        log.info("witness {}: serving cluster {}", plan.member(), plan.cluster());
      }
    }

    List<FailoverMember> members() {
      return List.copyOf(members);
    }

    /** Completes with the first member's refusal to run with a cluster that disagrees with its configuration. */
    CompletableFuture<String> refused() {
      CompletableFuture<String> first = new CompletableFuture<>();
      members.forEach(m -> m.refused().thenAccept(first::complete));
      return first;
    }

    @Override
    public void close() {
      probes.forEach(ProbeServer::close);
      members.forEach(FailoverMember::close);
    }
  }
}

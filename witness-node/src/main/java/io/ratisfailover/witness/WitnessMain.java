package io.ratisfailover.witness;

import io.ratisfailover.FailoverException;
import io.ratisfailover.FailoverMember;
import io.ratisfailover.node.config.ConfigException;
import io.ratisfailover.probe.ProbeServer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The witness: a voting member with no database, for one or several clusters (one Raft group
 * each), configured by a YAML file. It restarts from its Raft log directories.
 */
@Command(name = "ratis-failover-witness", mixinStandardHelpOptions = true,
    description = "Runs a witness: votes and arbitrates for one or more clusters; holds no data.")
public final class WitnessMain implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(WitnessMain.class);

  @Option(names = {"-c", "--config"}, required = true, description = "The YAML configuration file.")
  Path config;

  @Option(names = "--check", description = "Check the configuration and exit.")
  boolean check;

  @Option(names = "--rejoin", description = "Recovery after this witness's Raft storage was lost or restored from an"
      + " older copy (its start is refused otherwise): leave each cluster's Raft voters, discard the storage, start"
      + " blank and be added back once caught up. Needs the other members of each cluster up. For one start only.")
  boolean rejoin;

  @Spec
  CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new WitnessMain()).execute(args));
  }

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter err = spec.commandLine().getErr();
    List<WitnessConfig.Plan> plans;
    try {
      plans = WitnessConfig.load(config, System.getenv());
    } catch (ConfigException e) {
      err.println("configuration error: " + e.getMessage());
      return 2;
    }
    if (check) {
      plans.forEach(p -> spec.commandLine().getOut().println(config + ": witness " + p.member() + " of cluster " + p.cluster() + ": OK"));
      return 0;
    }
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    Witness witness = new Witness(plans, rejoin);
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
        FailoverMember.Builder b = FailoverMember.builder().clusterName(plan.cluster()).memberId(plan.member())
            .peers(plan.peers()).storageDirectory(plan.storage()).timing(plan.timing())
            .rejoin(rejoin);
        if (plan.settingsIgnored()) {
          log.warn("witness {}: cluster {}: the settings in this witness's configuration are not used: a new cluster"
              + " starts with those of the data member that bootstraps it, and changes them with rfctl edit-config",
              plan.member(), plan.cluster());
        }
        plan.raftTls().ifPresentOrElse(b::raftTls, b::insecureRaft);
        if (plan.raftBindHost() != null) {
          b.raftBindHost(plan.raftBindHost());
        }
        plan.probe().ifPresent(p -> b.apiUrl(p.scheme() + "://" + p.host() + ":" + p.port()));
        FailoverMember member = b.build();
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

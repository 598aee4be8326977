package io.ratisfailover.sidecar;

import io.ratisfailover.FailoverException;
import io.ratisfailover.FailoverMember;
import io.ratisfailover.LocalRole;
import io.ratisfailover.SwitchoverRequest;
import io.ratisfailover.node.config.ConfigException;
import io.ratisfailover.postgres.PgPool;
import io.ratisfailover.postgres.PostgresAdapter;
import io.ratisfailover.probe.ProbeServer;
import io.ratisfailover.spi.DatabaseException;
import io.ratisfailover.spi.FenceMode;
import io.ratisfailover.spi.Watchdog;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The standalone data member: the agent next to one PostgreSQL server, configured by a YAML file.
 * Stopping it (SIGTERM, as systemd does) hands the primary role over first, then stops the agent,
 * then shuts PostgreSQL down cleanly.
 */
@Command(name = "ratis-failover-sidecar", mixinStandardHelpOptions = true,
    description = "Runs a data member: the failover agent next to a PostgreSQL server.")
public final class SidecarMain implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(SidecarMain.class);
  private static final Duration HANDOVER = Duration.ofSeconds(20);

  @Option(names = {"-c", "--config"}, required = true, description = "The YAML configuration file.")
  Path config;

  @Option(names = "--check", description = "Check the configuration and the PostgreSQL installation, then exit.")
  boolean check;

  @Option(names = "--rejoin", description = "Recovery after this member's Raft storage was lost or restored from an"
      + " older copy (its start is refused otherwise): leave the Raft voters, discard the Raft storage, start blank and"
      + " be added back once caught up. Needs the other members up. For one start only.")
  boolean rejoin;

  @Spec
  CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new SidecarMain()).execute(args));
  }

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter err = spec.commandLine().getErr();
    SidecarConfig.Plan plan;
    try {
      plan = SidecarConfig.load(config, System.getenv());
    } catch (ConfigException e) {
      err.println("configuration error: " + e.getMessage());
      return 2;
    }
    PostgresAdapter adapter = PostgresAdapter.create(plan.member(), plan.postgres());
    try {
      adapter.checkInstallation();
    } catch (DatabaseException e) {
      err.println("PostgreSQL installation error: " + e.getMessage());
      return 2;
    }
    if (check) {
      Optional<Watchdog> device;
      try {
        device = SidecarWatchdog.device(plan);
        if (device.isPresent()) {
          device.get().close();
        }
      } catch (IOException e) {
        err.println(e.getMessage());
        return 2;
      }
      spec.commandLine().getOut().println(config + ": member " + plan.member() + " of cluster " + plan.cluster()
          + ", PostgreSQL at " + plan.postgres().dataDirectory() + " on port " + plan.postgres().port()
          + ", watchdog device " + device.map(Object::toString).orElse("none") + ", postmaster guard "
          + (plan.watchdog().postmasterGuard() ? "on" : "off") + ": OK");
      return 0;
    }
    DataDirectoryLock dataLock;
    try {
      dataLock = DataDirectoryLock.acquire(plan.postgres().dataDirectory());
    } catch (DataDirectoryLock.HeldException e) {
      err.println("cannot start member " + plan.member() + ": " + e.getMessage());
      return 1;
    } catch (IOException e) {
      err.println("cannot start member " + plan.member() + ": cannot lock "
          + DataDirectoryLock.fileFor(plan.postgres().dataDirectory()) + ": " + e.getMessage());
      return 1;
    }
    SidecarWatchdog watchdog;
    try {
      watchdog = SidecarWatchdog.start(plan);
    } catch (IOException e) {
      err.println(e.getMessage());
      release(plan, dataLock);
      return 2;
    }
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    log.info("member {}: a dead or frozen agent is fenced by {}", plan.member(), watchdog.describe());
    RoleCallbacks callbacks = new RoleCallbacks(new CallbackRunner(plan.member(), plan.cluster(), plan.callbacks()));
    // on_restart and on_reload fire from the wrapped adapter, on_role_change from the role listener.
    FailoverMember.Builder builder = plan.data().memberBuilder(new CallbackDatabase(adapter, callbacks)).rejoin(rejoin)
        .watchdog(watchdog).roleListener(callbacks).switchoverDrain(plan.probe().switchoverDrain());
    plan.pgpool().ifPresent(p -> builder.roleListener(new PgPool(p.config()).onPromotion(p.nodeId(), pgpoolThread(plan))));
    FailoverMember member = builder.build();
    ProbeServer probe;
    try {
      member.start();
      probe = ProbeServer.start(member, plan.probe());
    } catch (FailoverException e) {
      err.println("cannot start member " + plan.member() + ": " + e.getMessage());
      stop(plan, member, callbacks);
      closeQuietly(plan, watchdog);
      release(plan, dataLock);
      return 1;
    }
    CompletableFuture<String> stopped = new CompletableFuture<>();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stop(plan, member, callbacks);
      closeQuietly(plan, watchdog);
      probe.close();
      release(plan, dataLock);
      stopped.complete("stopped");
    }, "sidecar-shutdown"));
    // A configuration that turns out to disagree with the cluster's (its name or peers list) ends
    // the sidecar with one line; exiting runs the shutdown hook, which stops PostgreSQL cleanly.
    CompletableFuture.anyOf(stopped, member.refused()).join();
    if (member.refused().isDone() && !stopped.isDone()) {
      err.println("member " + plan.member() + " refuses to run: " + member.refused().join());
      err.flush();
      return 1;
    }
    return 0;
  }

  /** Last: once PostgreSQL is stopped, another sidecar may take the data directory. */
  private static void release(SidecarConfig.Plan plan, DataDirectoryLock dataLock) {
    try {
      dataLock.close();
    } catch (IOException e) {
      log.warn("member {}: releasing the data directory lock failed: {}", plan.member(), e.getMessage());
    }
  }

  /** After the member is closed (which disarms it): ends the guard, leaving PostgreSQL to {@link #stop}. */
  private static void closeQuietly(SidecarConfig.Plan plan, SidecarWatchdog watchdog) {
    try {
      watchdog.close();
    } catch (IOException e) {
      log.error("member {}: closing the watchdog failed: {}", plan.member(), e.getMessage());
    }
  }

  /** Hands the primary role over if it has it, stops the agent, then stops PostgreSQL cleanly and runs {@code on_stop}. */
  static void stop(SidecarConfig.Plan plan, FailoverMember member, RoleCallbacks callbacks) {
    if (member.local().role() == LocalRole.PRIMARY) {
      try {
        log.info("member {}: stopping: handing the primary role over first", plan.member());
        member.switchover(new SwitchoverRequest(Optional.of(plan.member()), Optional.empty(), Optional.empty()), HANDOVER);
      } catch (FailoverException e) {
        log.warn("member {}: no switchover before stopping ({}); the others fail over when the lease runs out",
            plan.member(), e.getMessage());
      }
    }
    member.close();
    PostgresAdapter last = PostgresAdapter.create(plan.member(), plan.postgres());
    try {
      last.fence(FenceMode.FAST);
      log.info("member {}: PostgreSQL stopped", plan.member());
    } catch (DatabaseException e) {
      log.error("member {}: could not stop PostgreSQL: {}", plan.member(), e.getMessage());
    } finally {
      last.close();
    }
    callbacks.stopped();
  }

  /**
   * Where the PgPool-II action runs: its own thread, so that PCP calls never hold up the agent
   * (role listeners run on the agent's thread); a daemon, as the action is bounded by its timeout.
   */
  private static Executor pgpoolThread(SidecarConfig.Plan plan) {
    return Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "member-" + plan.member() + "-pgpool");
      t.setDaemon(true);
      return t;
    });
  }
}

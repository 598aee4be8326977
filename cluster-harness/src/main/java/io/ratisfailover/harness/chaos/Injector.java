package io.ratisfailover.harness.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Strikes and heals faults on a {@link ChaosCluster}. PostgreSQL is frozen with the cgroup (v1)
 * freezer, since a stopped postmaster leaves its backends serving; its processes are moved into a
 * cgroup of their own just before, because the agent may have restarted the server since.
 */
final class Injector implements AutoCloseable {
  private static final Path FREEZER = Path.of("/sys/fs/cgroup/freezer");

  /** A JVM start, the peers' survey and the refusal, on a loaded two-core machine. */
  private static final Duration REFUSAL_WAIT = Duration.ofSeconds(60);
  private static final Duration SWITCHOVER_ANSWER = Duration.ofSeconds(30);
  private static final Duration STANDBY_READY = Duration.ofSeconds(30);

  private final ChaosCluster cluster;
  private final String prefix;
  private final List<String> violations = new ArrayList<>();
  /** Switchovers the API answered with 200 (the new primary promoted). */
  private final AtomicInteger switchoversDone = new AtomicInteger();

  Injector(ChaosCluster cluster) {
    this.cluster = cluster;
    this.prefix = cluster.network().prefix();
  }

  /** Whether this machine can freeze a process tree. */
  static boolean canFreeze() {
    return Files.isWritable(FREEZER.resolve("cgroup.procs"));
  }

  /**
   * Why the fault cannot strike the member now (a freeze needs a process to freeze: an agent that is
   * cloning its database has no PostgreSQL yet), or empty when it can.
   */
  Optional<String> cannotStrike(Fault.Kind kind, String member) {
    return switch (kind) {
      case FREEZE_AGENT -> cluster.agent(member).filter(Process::isAlive).isPresent()
          ? Optional.empty() : Optional.of(member + "'s agent is not running");
      case FREEZE_POSTGRES -> cluster.postmaster(member).isPresent()
          ? Optional.empty() : Optional.of(member + "'s PostgreSQL is not running");
      default -> Optional.empty();
    };
  }

  void strike(Fault.Kind kind, String member) throws IOException {
    switch (kind) {
      case KILL_AGENT -> cluster.killAgent(member);
      case KILL_POSTGRES -> cluster.killPostgres(member);
      case KILL_HOST -> cluster.killHost(member);
      case FREEZE_AGENT -> signal("STOP", cluster.agent(member).map(Process::pid).orElseThrow(
          () -> new IOException(member + "'s agent is not running")));
      case FREEZE_POSTGRES -> freezePostgres(member);
      case CUT_OFF -> cluster.network().cut(member);
      case RESTART -> cluster.stopAgent(member);
      case SLOW_LINKS -> cluster.jitter(member, Fault.JITTER);
      case LOSSY_LINKS -> cluster.network().lose(member, Fault.LOSS_PERCENT);
      case RESTART_CUT_OFF -> {
        cluster.network().cut(member);
        cluster.killAgent(member);
        cluster.start(member);
      }
      case RAFT_INBOUND_BLOCKED -> cluster.blockRaftInbound(member);
      case RAFT_STORAGE_WIPED -> {
        cluster.killAgent(member);
        cluster.wipeRaftStorage(member);
        cluster.start(member);
      }
      case SWITCHOVER -> switchover(member);
    }
  }

  /**
   * Away from {@code member} if it serves, else to it; the answer is printed when it comes. Asked as
   * an operator asks, once the standby it goes to answers {@code /replica} (a standby whose agent
   * just restarted may not have its database running yet, and is refused), or after 30 s regardless.
   */
  private void switchover(String member) {
    String other = ChaosCluster.DATA.stream().filter(m -> !m.equals(member)).findFirst().orElseThrow();
    boolean serves = cluster.answers200(member, "/primary");
    String leader = serves ? member : other;
    Optional<String> candidate = serves ? Optional.empty() : Optional.of(member);
    String standby = serves ? other : member;
    Poll.until(() -> cluster.answers200(standby, "/replica"), STANDBY_READY);
    cluster.switchover(member, leader, candidate, SWITCHOVER_ANSWER).whenComplete((answer, failed) -> {
      if (failed == null && answer.statusCode() == 200) {
        switchoversDone.incrementAndGet();
      }
      System.out.println("[chaos] switchover away from " + leader + candidate.map(c -> " to " + c).orElse("") + ": "
          + (failed != null ? failed.toString() : answer.statusCode() + " " + answer.body().strip()));
    });
  }

  /** How many switchovers struck so far were done (answered 200). */
  int switchoversDone() {
    return switchoversDone.get();
  }

  void heal(Fault.Kind kind, String member) throws IOException {
    switch (kind) {
      case KILL_AGENT, KILL_HOST, RESTART -> cluster.start(member);
      case KILL_POSTGRES, SWITCHOVER -> { }
      case FREEZE_AGENT -> signal("CONT", cluster.agent(member).map(Process::pid).orElseThrow());
      case FREEZE_POSTGRES -> setState(group(member), "THAWED");
      case CUT_OFF, RESTART_CUT_OFF -> cluster.network().heal(member);
      case SLOW_LINKS -> cluster.jitter(member, Duration.ZERO);
      case LOSSY_LINKS -> cluster.network().stopLosing(member);
      case RAFT_INBOUND_BLOCKED -> cluster.network().unblockInbound(member);
      case RAFT_STORAGE_WIPED -> {
        cluster.refusal(member, REFUSAL_WAIT).ifPresent(problem -> violations.add(problem));
        cluster.start(member, "--rejoin");
      }
    }
  }

  /** What the faults showed that the product must never do (a member voting on wiped storage). */
  List<String> violations() {
    return List.copyOf(violations);
  }

  private void freezePostgres(String member) throws IOException {
    ProcessHandle postmaster = cluster.postmaster(member)
        .orElseThrow(() -> new IOException(member + "'s PostgreSQL is not running"));
    Path group = group(member);
    Files.createDirectories(group);
    List<ProcessHandle> tree = new ArrayList<>(postmaster.descendants().toList());
    tree.add(0, postmaster);
    for (ProcessHandle p : tree) {
      try {
        Files.writeString(group.resolve("cgroup.procs"), Long.toString(p.pid()));
      } catch (IOException gone) {
        // a backend that just exited
      }
    }
    setState(group, "FROZEN");
  }

  private Path group(String member) {
    return FREEZER.resolve(prefix + "-" + member);
  }

  private static void setState(Path group, String state) throws IOException {
    if (Files.isDirectory(group)) {
      Files.writeString(group.resolve("freezer.state"), state);
    }
  }

  private static void signal(String signal, long pid) throws IOException {
    Network.run("kill", "-" + signal, Long.toString(pid));
  }

  /** Thaws and removes this run's cgroups, moving what is left in them back to the root group. */
  @Override
  public void close() {
    for (String m : ChaosCluster.DATA) {
      Path group = group(m);
      if (!Files.isDirectory(group)) {
        continue;
      }
      try {
        setState(group, "THAWED");
        for (String pid : Files.readAllLines(group.resolve("cgroup.procs"))) {
          try {
            Files.writeString(FREEZER.resolve("cgroup.procs"), pid.strip());
          } catch (IOException gone) {
            // exited meanwhile
          }
        }
        Files.delete(group);
      } catch (IOException e) {
        System.err.println("could not remove " + group + ": " + e.getMessage());
      }
    }
  }
}

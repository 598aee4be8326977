package io.ratisfailover.harness.bench;

import io.ratisfailover.ClusterView;
import io.ratisfailover.FailoverMember;
import io.ratisfailover.MemberId;
import io.ratisfailover.Peer;
import io.ratisfailover.RaftHost;
import io.ratisfailover.RaftLeaderPreference;
import io.ratisfailover.Timing;
import io.ratisfailover.testing.InMemoryDatabases;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;

/**
 * One data-member process of the fleet benchmark: both data members of each of its clusters, with
 * in-memory databases, on two shared Raft servers of its own (one per data member: {@code <id>a}
 * and {@code <id>b}), the clusters' witnesses elsewhere. Driven by {@link FleetBenchmark} over
 * stdin/stdout, one command a line:
 *
 * <ul>
 *   <li>{@code status}: one line per cluster, {@code C <name> <serving primary|-> <epoch> <raft term> <raft leader|->
 *       <applied index>}, then {@code END};
 *   <li>{@code fail <name>}: the cluster's serving primary's member dies (closed without a word, its
 *       database crashed); answers {@code FAILOVER <name> <ms>} once another member serves, {@code -1} if none
 *       did within a minute;
 *   <li>{@code start-later}: starts the clusters the plan marks {@code later}; answers {@code STARTED <count>};
 *   <li>{@code quit}.
 * </ul>
 *
 * <p>The plan file has the lines {@code host <id> <port>} (twice), {@code storage <dir>},
 * {@code preference standby|witness} and {@code cluster <name> <witness id> <witness raft address> first|later}:
 * the {@code first} clusters start with the process, the {@code later} ones on {@code start-later}.
 */
public final class FleetMembers {
  private static final Duration PATIENCE = Duration.ofSeconds(60);
  private static final int STARTING_AT_ONCE = 8;

  /** One cluster's data members and their databases. */
  private record Cluster(String name, InMemoryDatabases databases, Map<MemberId, FailoverMember> members) {
    Optional<FailoverMember> serving() {
      return members.values().stream().filter(FailoverMember::servingPrimary).findFirst();
    }
  }

  private final Map<String, Cluster> clusters = new java.util.concurrent.ConcurrentSkipListMap<>();
  private final List<RaftHost> hosts = new ArrayList<>();
  private final List<String[]> later = new ArrayList<>();
  private final Timing timing = Timing.defaults();
  private RaftLeaderPreference preference = RaftLeaderPreference.STANDBY;

  public static void main(String[] args) throws IOException {
    // Answers only on stdout, which the benchmark reads only when it asks: the log goes to stderr
    // (a file), so a burst of log lines can never fill the pipe and stall the members.
    PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
    System.setOut(System.err);
    FleetMembers fleet = new FleetMembers();
    try {
      fleet.start(Files.readAllLines(Path.of(args[0])));
      out.println("STARTED");
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line = in.readLine(); line != null && !line.equals("quit"); line = in.readLine()) {
        if (line.equals("status")) {
          fleet.status(out);
        } else if (line.equals("start-later")) {
          out.println("STARTED " + fleet.startClusters(fleet.later));
        } else if (line.startsWith("fail ")) {
          String name = line.substring(5);
          out.println("FAILOVER " + name + " " + fleet.fail(name));
        }
      }
    } finally {
      fleet.close();
    }
    System.exit(0);
  }

  private void start(List<String> plan) {
    Path storage = null;
    List<String[]> hostLines = new ArrayList<>();
    List<String[]> first = new ArrayList<>();
    for (String line : plan) {
      String[] f = line.trim().split(" ");
      switch (f[0]) {
        case "host" -> hostLines.add(f);
        case "storage" -> storage = Path.of(f[1]);
        case "preference" -> preference = RaftLeaderPreference.valueOf(f[1].toUpperCase(java.util.Locale.ROOT));
        case "cluster" -> (f[4].equals("first") ? first : later).add(f);
        default -> throw new IllegalArgumentException("unknown plan line: " + line);
      }
    }
    for (String[] h : hostLines) {
      RaftHost host = RaftHost.builder().memberId(h[1]).raftAddress("127.0.0.1:" + h[2])
          .storageDirectory(storage.resolve(h[1])).timing(timing).insecureRaft().build();
      host.start();
      hosts.add(host);
    }
    startClusters(first);
  }

  /** Starts the clusters of these plan lines, several at once; how many it started. */
  private int startClusters(List<String[]> clusterLines) {
    // A member's start mostly waits for its peers' answers about the group: several clusters at once.
    ExecutorService starts = Executors.newFixedThreadPool(STARTING_AT_ONCE);
    try {
      List<Future<Cluster>> started = new ArrayList<>();
      for (String[] c : clusterLines) {
        started.add(starts.submit(() -> startCluster(c[1], c[2], c[3])));
      }
      for (Future<Cluster> f : started) {
        Cluster cluster = f.get();
        clusters.put(cluster.name(), cluster);
      }
      return started.size();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the clusters", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("a cluster did not start: " + e.getCause(), e.getCause());
    } finally {
      starts.shutdown();
    }
  }

  private Cluster startCluster(String name, String witness, String witnessAddress) {
    List<Peer> peers = new ArrayList<>();
    hosts.forEach(h -> peers.add(Peer.data(h.memberId().value(), h.raftAddress())));
    peers.add(Peer.witness(witness, witnessAddress));
    Cluster cluster = new Cluster(name, new InMemoryDatabases(), new java.util.concurrent.ConcurrentHashMap<>());
    for (RaftHost host : hosts) {
      FailoverMember m = FailoverMember.builder().clusterName(name).memberId(host.memberId()).peers(peers)
          .timing(timing).raftHost(host).raftLeaderPreference(preference)
          .database(cluster.databases().create(host.memberId())).build();
      cluster.members().put(host.memberId(), m);
      m.start();
    }
    return cluster;
  }

  private void status(PrintStream out) {
    StringBuilder b = new StringBuilder();
    for (Cluster c : clusters.values()) {
      Optional<FailoverMember> serving = c.serving();
      // Any running member's view: they agree on what is committed.
      ClusterView v = c.members().values().iterator().next().cluster();
      b.append("C ").append(c.name()).append(' ').append(serving.map(m -> m.id().value()).orElse("-"))
          .append(' ').append(v.epoch().value()).append(' ').append(v.raftTerm()).append(' ')
          .append(v.raftLeader().map(MemberId::value).orElse("-")).append(' ').append(v.appliedIndex()).append('\n');
    }
    out.print(b.append("END\n"));
    out.flush();
  }

  /** Kills the cluster's serving primary's member; milliseconds until another member serves, -1 if none did. */
  private long fail(String name) {
    Cluster c = clusters.get(name);
    Optional<FailoverMember> primary = c == null ? Optional.empty() : c.serving();
    if (primary.isEmpty()) {
      return -1;
    }
    MemberId id = primary.get().id();
    long killed = System.nanoTime();
    c.members().remove(id).close();
    c.databases().database(id).crash();
    long deadline = killed + PATIENCE.toNanos();
    while (System.nanoTime() < deadline) {
      if (c.serving().isPresent()) {
        return (System.nanoTime() - killed) / 1_000_000;
      }
      LockSupport.parkNanos(1_000_000);
    }
    return -1;
  }

  private void close() {
    clusters.values().forEach(c -> c.members().values().forEach(FailoverMember::close));
    hosts.forEach(RaftHost::close);
  }
}

package io.ratisfailover.examples.embedded;

import io.ratisfailover.ClusterView;
import io.ratisfailover.FailoverMember;
import io.ratisfailover.LocalRole;
import io.ratisfailover.LocalView;
import io.ratisfailover.MemberId;
import io.ratisfailover.Peer;
import io.ratisfailover.RoleChange;
import io.ratisfailover.postgres.PostgresAdapter;
import io.ratisfailover.postgres.PostgresConfig;
import io.ratisfailover.spi.DatabaseException;
import io.ratisfailover.spi.FenceMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An application that embeds a data member: the failover agent runs inside the application's own
 * process, next to the PostgreSQL server it manages. The application learns of every role change
 * from a listener (here, to decide whether it writes locally) and reads the cluster from the
 * member's read-only views. One process per data host, plus a witness program:
 *
 * <pre>
 * EmbeddedMember pg1 /var/lib/app/raft /var/lib/postgresql/15/app 5432 postgres \
 *     pg1=data@10.0.0.1:7001 pg2=data@10.0.0.2:7001 w1=witness@10.0.0.3:7001
 * </pre>
 */
public final class EmbeddedMember implements AutoCloseable {
  /** Where this member keeps its Raft log and its PostgreSQL server. */
  public record Setup(MemberId member, List<Peer> peers, Path raftStorage, Path dataDirectory, int postgresPort,
      String osUser) {}

  private final ExecutorService listenerThread =
      Executors.newSingleThreadExecutor(r -> new Thread(r, "app-role-listener"));
  private final AtomicReference<RoleChange> lastChange = new AtomicReference<>();
  private final PostgresConfig postgres;
  private final FailoverMember member;

  public EmbeddedMember(Setup setup) {
    postgres = PostgresConfig.builder()
        .dataDirectory(setup.dataDirectory()).listenHost("127.0.0.1").port(setup.postgresPort())
        .osUser(setup.osUser())
        .superuser("postgres", "app-superuser-secret").replication("replicator", "app-replication-secret")
        .build();
    member = FailoverMember.builder()
        .clusterName("app").memberId(setup.member()).peers(setup.peers())
        .storageDirectory(setup.raftStorage())
        // A loopback example; on a network others can reach: .raftTls(new RaftTls(certificate, key, clusterCa))
        .insecureRaft()
        .database(PostgresAdapter.create(setup.member(), postgres))
        .listenerExecutor(listenerThread)
        .roleListener(this::roleChanged)
        .build();
  }

  public void start() {
    member.start();
  }

  /** The last role change this application was told about. */
  public RoleChange lastChange() {
    return lastChange.get();
  }

  /** Whether this application may write to its local server now: the member holds a valid lease. */
  public boolean mayWriteLocally() {
    return member.servingPrimary();
  }

  /** One line from the read-only views: this member's role and lease, and the cluster's primary. */
  public String describe() {
    LocalView me = member.local();
    ClusterView cluster = member.cluster();
    return "%s: %s, epoch %s, lease %d ms; cluster primary %s, raft leader %s".formatted(me.id(), me.role(),
        me.epoch(), me.leaseRemaining().toMillis(), cluster.primary().map(MemberId::value).orElse("none"),
        cluster.raftLeader().map(MemberId::value).orElse("none"));
  }

  private void roleChanged(RoleChange change) {
    lastChange.set(change);
    if (change.to() == LocalRole.PRIMARY) {
      System.out.println("now primary at epoch " + change.epoch() + ": writing to the local server");
    } else if (change.from() == LocalRole.PRIMARY) {
      System.out.println("no longer primary (" + change.reason() + "): writes go elsewhere");
    }
  }

  /** Stops the agent, then its PostgreSQL server: the application and its database stop together. */
  @Override
  public void close() throws InterruptedException {
    member.close();
    try (PostgresAdapter server = PostgresAdapter.create(member.id(), postgres)) {
      server.fence(FenceMode.FAST);
    } catch (DatabaseException e) {
      System.err.println("could not stop PostgreSQL: " + e.getMessage());
    }
    listenerThread.shutdown();
    listenerThread.awaitTermination(5, TimeUnit.SECONDS);
  }

  public static void main(String[] args) throws Exception {
    Setup setup;
    try {
      setup = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println("usage: EmbeddedMember <member> <raft dir> <postgres data dir> <postgres port> <os user>"
          + " <id>=<data|witness>@<host:port>...");
      System.exit(2);
      return;
    }
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
    try (EmbeddedMember app = new EmbeddedMember(setup)) {
      app.start();
      while (!stop.await(2, TimeUnit.SECONDS)) {
        System.out.println(app.describe());
      }
    }
  }

  static Setup parse(String[] args) {
    if (args.length < 8) {
      throw new IllegalArgumentException("expected 5 settings and at least 3 peers, got " + args.length + " arguments");
    }
    int port;
    try {
      port = Integer.parseInt(args[3]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("postgres port '" + args[3] + "' is not a number");
    }
    List<Peer> peers = new ArrayList<>();
    for (int i = 5; i < args.length; i++) {
      peers.add(peer(args[i]));
    }
    return new Setup(MemberId.of(args[0]), peers, Path.of(args[1]), Path.of(args[2]), port, args[4]);
  }

  private static Peer peer(String spec) {
    int eq = spec.indexOf('=');
    int at = spec.indexOf('@');
    if (eq <= 0 || at < eq) {
      throw new IllegalArgumentException("peer '" + spec + "' is not of the form id=data@host:port");
    }
    String id = spec.substring(0, eq);
    String address = spec.substring(at + 1);
    return switch (spec.substring(eq + 1, at)) {
      case "data" -> Peer.data(id, address);
      case "witness" -> Peer.witness(id, address);
      default -> throw new IllegalArgumentException("peer '" + spec + "': kind must be data or witness");
    };
  }
}

package io.ratisfailover.postgres.testing;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.FailoverMember;
import io.ratisfailover.MemberKind;
import io.ratisfailover.MemberId;
import io.ratisfailover.Peer;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.Timing;
import io.ratisfailover.postgres.DataMemberConfig;
import io.ratisfailover.postgres.PostgresConfig;
import io.ratisfailover.postgres.PostgresMember;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * One data member — agent, adapter and PostgreSQL — as the main process of a container
 * ({@link ContainerCluster}). Arguments are {@code key=value}: {@code cluster}, {@code member},
 * {@code peers} ({@code id:KIND:host:port,...}), {@code pgport}, {@code sync} (OFF, ON, STRICT).
 * It runs until the container is killed; its directories live in the container's file system, so
 * a container started again resumes from them.
 */
public final class ContainerMember {
  static final Path ROOT = Path.of("/var/lib/ratis-failover");
  static final Path DATA = ROOT.resolve("pgdata");

  private ContainerMember() {}

  public static void main(String[] args) throws InterruptedException {
    Map<String, String> a = new HashMap<>();
    for (String arg : args) {
      String[] kv = arg.split("=", 2);
      a.put(kv[0], kv.length > 1 ? kv[1] : "");
    }
    List<Peer> peers = new ArrayList<>();
    for (String p : a.get("peers").split(",")) {
      String[] f = p.split(":");
      peers.add(new Peer(MemberId.of(f[0]), MemberKind.valueOf(f[1]), f[2] + ":" + f[3]));
    }
    PostgresConfig postgres = PostgresConfig.builder().dataDirectory(DATA).listenHost("127.0.0.1")
        .port(Integer.parseInt(a.get("pgport"))).osUser("postgres")
        .superuser("postgres", PgSandbox.SUPERUSER_PASSWORD).replication("replicator", PgSandbox.REPLICATION_PASSWORD)
        .statusTimeout(Duration.ofMillis(700)).serverParameter("shared_buffers", "16MB")
        .serverParameter("max_connections", "30").serverParameter("wal_keep_size", "64MB").build();
    FailoverMember member = PostgresMember.create(DataMemberConfig.builder().clusterName(a.get("cluster"))
        .member(a.get("member")).peers(peers).storageDirectory(ROOT.resolve("raft")).timing(Timing.defaults())
        .initialSettings(ClusterSettings.DEFAULT.withSynchronousMode(SynchronousMode.valueOf(a.get("sync"))))
        .postgres(postgres).insecureRaft().build());
    member.start();
    Runtime.getRuntime().addShutdownHook(new Thread(member::close, "close-member"));
    new CountDownLatch(1).await();
  }
}

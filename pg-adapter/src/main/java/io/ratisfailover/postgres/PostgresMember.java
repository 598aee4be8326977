package io.ratisfailover.postgres;

import io.ratisfailover.FailoverMember;
import java.util.function.Consumer;

/**
 * A data member: the failover agent with a {@link PostgresAdapter} for the local server.
 *
 * <pre>{@code
 * FailoverMember member = PostgresMember.create(DataMemberConfig.builder()
 *     .clusterName("orders").member("pg1")
 *     .peers(List.of(Peer.data("pg1", "10.0.0.1:7001"), Peer.data("pg2", "10.0.0.2:7001"),
 *         Peer.witness("w1", "10.0.0.3:7001")))
 *     .storageDirectory(Path.of("/var/lib/ratis-failover"))
 *     .raftTls(new RaftTls(Path.of("pg1.pem"), Path.of("pg1.key"), Path.of("cluster-ca.pem")))
 *     .postgres(PostgresConfig.builder().dataDirectory(Path.of("/var/lib/postgresql/data"))
 *         .listenHost("10.0.0.1").osUser("postgres")
 *         .superuser("postgres", superPassword).replication("replicator", replicationPassword).build())
 *     .build());
 * member.start();
 * }</pre>
 */
public final class PostgresMember {
  private PostgresMember() {}

  /** A member ready to {@link FailoverMember#start()}; closing it closes the adapter and leaves PostgreSQL running. */
  public static FailoverMember create(DataMemberConfig config) {
    return create(config, b -> {});
  }

  /**
   * @param customize adds what the config does not carry: a {@code Fencer}, a {@code Watchdog},
   *     role listeners, a clock
   */
  public static FailoverMember create(DataMemberConfig config, Consumer<FailoverMember.Builder> customize) {
    PostgresAdapter adapter = PostgresAdapter.create(config.member(), config.postgres());
    FailoverMember.Builder b = config.memberBuilder(adapter);
    customize.accept(b);
    try {
      return b.build();
    } catch (RuntimeException e) {
      adapter.close();
      throw e;
    }
  }
}

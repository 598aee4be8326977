package io.ratisfailover;

import io.ratisfailover.internal.ratis.RaftNode;
import io.ratisfailover.internal.ratis.RaftTlsParameters;
import io.ratisfailover.internal.ratis.RatisProcessGuard;
import io.ratisfailover.internal.ratis.RatisProperties;
import io.ratisfailover.internal.ratis.SharedRaftServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Raft server — one port, one storage directory, one TLS identity — shared by the members
 * one process runs for several clusters (a witness serving a fleet): each cluster is a Raft group
 * of its own on this server, added when its {@link FailoverMember} starts and removed when it
 * closes, while the others keep running. Give it to each member with
 * {@link FailoverMember.Builder#raftHost}; every such member must list this host's Raft address as
 * its own, and the clusters' other members point at that address.
 *
 * <pre>{@code
 * RaftHost host = RaftHost.builder().memberId("w1").raftAddress("10.0.0.3:7001")
 *     .storageDirectory(Path.of("/var/lib/ratis-failover-witness/raft"))
 *     .raftTls(new RaftTls(Path.of("w1.pem"), Path.of("w1.key"), Path.of("fleet-ca.pem"))).build();
 * host.start();
 * FailoverMember orders = FailoverMember.builder().clusterName("orders").memberId("w1").peers(ordersPeers)
 *     .raftHost(host).build();
 * orders.start();
 * }</pre>
 *
 * <p>Raft timing (election timeouts) is the server's, so the clusters on one host share it; their
 * lease timing may differ. One TLS identity serves every group, so their members must trust its CA.
 */
public final class RaftHost implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RaftHost.class);

  private final MemberId memberId;
  private final String raftAddress;
  private final HostPort bind;
  private final Path storage;
  private final Timing timing;
  private final Optional<RaftTls> raftTls;
  private final RaftTlsParameters tls;
  private final SharedRaftServer server;

  private RaftHost(Builder b, HostPort bind, RaftTlsParameters tls) {
    this.memberId = b.memberId;
    this.raftAddress = b.raftAddress;
    this.bind = bind;
    this.storage = b.storage;
    this.timing = b.timing;
    this.raftTls = Optional.ofNullable(b.raftTls);
    this.tls = tls;
    this.server = new SharedRaftServer(b.memberId, b.storage,
        RatisProperties.server(b.timing, b.storage, bind, b.snapshotEvery), tls);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Listens on the Raft port, serving no group yet.
   *
   * @throws FailoverException naming the cause (port in use, storage not writable)
   */
  public void start() {
    RatisProcessGuard.install();
    try {
      Files.createDirectories(storage);
      RaftNode.requireBindable(bind);
      server.start();
    } catch (IOException | RuntimeException e) {
      throw new FailoverException("cannot start the shared Raft server of " + memberId + " on " + bind + ": "
          + e.getMessage(), e);
    }
    log.info("member {}: shared Raft server listening on {} ({})", memberId, bind,
        tls.secure() ? "mutual TLS" : "no TLS");
  }

  public MemberId memberId() {
    return memberId;
  }

  /** This member's Raft address as the clusters' peers lists give it. */
  public String raftAddress() {
    return raftAddress;
  }

  /** Closes the server and every group still on it; close the members first so each removes its own. */
  @Override
  public void close() {
    server.close();
    log.info("member {}: shared Raft server on {} closed", memberId, bind);
  }

  Timing timing() {
    return timing;
  }

  Optional<RaftTls> raftTls() {
    return raftTls;
  }

  RaftTlsParameters tls() {
    return tls;
  }

  SharedRaftServer server() {
    return server;
  }

  /** Configures a host; {@link #build()} checks everything and names the first problem. */
  public static final class Builder {
    private MemberId memberId;
    private String raftAddress;
    private String raftBindHost;
    private Path storage;
    private Timing timing = Timing.defaults();
    private long snapshotEvery = RatisProperties.SNAPSHOT_EVERY;
    private RaftTls raftTls;
    private boolean insecureRaft;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    public Builder memberId(String id) { this.memberId = MemberId.of(id); return this; }
    public Builder memberId(MemberId id) { this.memberId = id; return this; }
    /** The address every cluster's peers list gives this member, {@code host:port}. */
    public Builder raftAddress(String address) { this.raftAddress = address; return this; }
    /** Listen on this host instead of the one in the Raft address (for example 0.0.0.0). */
    public Builder raftBindHost(String host) { this.raftBindHost = host; return this; }
    /** Holds one directory per cluster's group; must survive restarts. */
    public Builder storageDirectory(Path dir) { this.storage = dir; return this; }
    /** Its election timeouts are every hosted cluster's; each member's timing must have the same. */
    public Builder timing(Timing value) { this.timing = value; return this; }
    public Builder snapshotEvery(long entries) { this.snapshotEvery = entries; return this; }
    /** As {@link FailoverMember.Builder#raftTls}: one certificate for every group on this server. */
    public Builder raftTls(RaftTls value) { this.raftTls = Objects.requireNonNull(value, "raftTls"); return this; }
    /** As {@link FailoverMember.Builder#insecureRaft}. */
    public Builder insecureRaft() { this.insecureRaft = true; return this; }
    public Builder clock(Clock value) { this.clock = value; return this; }

    /** @throws IllegalArgumentException naming the first missing or inconsistent setting */
    public RaftHost build() {
      if (memberId == null) {
        throw new IllegalArgumentException("member id is required");
      }
      if (storage == null) {
        throw new IllegalArgumentException("storage directory is required");
      }
      if (snapshotEvery < 10) {
        throw new IllegalArgumentException("snapshot_every must be at least 10 entries, got " + snapshotEvery);
      }
      Objects.requireNonNull(timing, "timing");
      HostPort bind = HostPort.parse(Objects.requireNonNull(raftAddress, "raft address is required"),
          "raft address of " + memberId);
      if (raftBindHost != null) {
        bind = new HostPort(raftBindHost, bind.port());
      }
      if (raftTls == null && !insecureRaft) {
        throw new IllegalArgumentException("member " + memberId + " has no Raft TLS: set raftTls or insecureRaft()");
      }
      if (raftTls != null && insecureRaft) {
        throw new IllegalArgumentException("member " + memberId + " sets both raftTls and insecureRaft(); choose one");
      }
      RaftTlsParameters tls = insecureRaft ? RaftTlsParameters.insecure()
          : RaftTlsParameters.load(raftTls, memberId, clock.instant());
      return new RaftHost(this, bind, tls);
    }
  }
}

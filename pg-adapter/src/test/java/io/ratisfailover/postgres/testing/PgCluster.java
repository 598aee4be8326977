package io.ratisfailover.postgres.testing;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.ClusterView;
import io.ratisfailover.SwitchoverRequest;
import io.ratisfailover.FailoverMember;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.Timing;
import io.ratisfailover.postgres.DataMemberConfig;
import io.ratisfailover.postgres.PostgresConfig;
import io.ratisfailover.postgres.PostgresMember;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.testing.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;

/**
 * A cluster of real members in this JVM — Raft servers on loopback, agents, arbiters — with a real
 * PostgreSQL server behind each data member: by default two data members (pg1, pg2) and a witness
 * (w1). Members can be killed whole (agent closed without a word, postmaster killed with SIGKILL),
 * their PostgreSQL alone can be killed, and they can be started again from their directories.
 * Everything it starts is stopped by the {@link PgSandbox} it was made from.
 */
public final class PgCluster implements TestCluster {
  private final PgSandbox pg;
  private final String name;
  private final Timing timing;
  private final ClusterSettings settings;
  private final List<Peer> peers = new ArrayList<>();
  private final Map<MemberId, PostgresConfig> postgres = new LinkedHashMap<>();
  private final Map<MemberId, Path> storage = new LinkedHashMap<>();
  private final Map<MemberId, FailoverMember> running = new LinkedHashMap<>();
  private final LogCapture adapterLogs = LogCapture.of(io.ratisfailover.postgres.PostgresAdapter.class);
  private BiConsumer<MemberId, FailoverMember.Builder> customizer = (id, b) -> {};

  public PgCluster(PgSandbox pg, String name, Timing timing, ClusterSettings settings, Map<String, MemberKind> layout) {
    this(pg, name, timing, settings, layout, b -> b);
  }

  /** With {@code postgresConfig} adding to each data member's PostgreSQL configuration (server parameters, say). */
  public PgCluster(PgSandbox pg, String name, Timing timing, ClusterSettings settings, Map<String, MemberKind> layout,
      java.util.function.UnaryOperator<PostgresConfig.Builder> postgresConfig) {
    this.pg = pg;
    this.name = name;
    this.timing = timing;
    this.settings = settings;
    int[] ports = Ports.free(layout.size());
    int i = 0;
    for (Map.Entry<String, MemberKind> e : new java.util.TreeMap<>(layout).entrySet()) {
      MemberId id = MemberId.of(e.getKey());
      peers.add(new Peer(id, e.getValue(), "127.0.0.1:" + ports[i++]));
      storage.put(id, pg.dataDirectory(e.getKey() + "-raft"));
      if (e.getValue() == MemberKind.DATA) {
        postgres.put(id, postgresConfig.apply(pg.config(pg.dataDirectory(e.getKey() + "-pgdata"))).build());
      }
    }
    pg.closeAfterTest(this);
  }

  public static PgCluster threeMembers(PgSandbox pg, String name, Timing timing, ClusterSettings settings) {
    return new PgCluster(pg, name, timing, settings,
        Map.of("pg1", MemberKind.DATA, "pg2", MemberKind.DATA, "w1", MemberKind.WITNESS));
  }

  /** Adds what a data member's config does not carry (role listeners, say) each time one is started. */
  public PgCluster customize(BiConsumer<MemberId, FailoverMember.Builder> customizer) {
    this.customizer = customizer;
    return this;
  }

  public PgCluster startAll() {
    peers.forEach(p -> start(p.id().value()));
    return this;
  }

  @Override
  public synchronized void start(String id) {
    MemberId member = MemberId.of(id);
    if (running.containsKey(member)) {
      throw new IllegalStateException(id + " is already running");
    }
    Peer peer = peers.stream().filter(p -> p.id().equals(member)).findFirst().orElseThrow();
    FailoverMember m;
    if (peer.kind() == MemberKind.DATA) {
      m = PostgresMember.create(DataMemberConfig.builder().clusterName(name).member(member).peers(peers)
          .storageDirectory(storage.get(member)).timing(timing).initialSettings(settings)
          .apiUrl("http://127.0.0.1/" + id).postgres(postgres.get(member)).insecureRaft().build(),
          b -> customizer.accept(member, b));
    } else {
      m = FailoverMember.builder().clusterName(name).memberId(member).peers(peers).storageDirectory(storage.get(member))
          .timing(timing).initialSettings(settings).apiUrl("http://127.0.0.1/" + id).insecureRaft().build();
    }
    m.start();
    running.put(member, m);
  }

  /** The member's host dies: its agent stops without a word, then its postmaster gets SIGKILL. */
  @Override
  public synchronized void killMember(String id) {
    MemberId member = MemberId.of(id);
    FailoverMember m = running.remove(member);
    if (m != null) {
      m.close();
    }
    if (postgres.containsKey(member) && PgSandbox.postmasterPid(postgres.get(member).dataDirectory()).isPresent()) {
      PgSandbox.killPostmaster(postgres.get(member).dataDirectory());
    }
  }

  /** Only PostgreSQL dies (SIGKILL of the postmaster); the agent lives on. */
  @Override
  public void crashPostgres(String id) {
    PgSandbox.killPostmaster(postgres(id).dataDirectory());
  }

  @Override
  public PostgresConfig postgres(String id) {
    PostgresConfig c = postgres.get(MemberId.of(id));
    if (c == null) {
      throw new IllegalArgumentException(id + " is not a data member");
    }
    return c;
  }

  public synchronized FailoverMember member(String id) {
    FailoverMember m = running.get(MemberId.of(id));
    if (m == null) {
      throw new IllegalArgumentException(id + " is not running");
    }
    return m;
  }

  @Override
  public synchronized boolean isRunning(String id) {
    return running.containsKey(MemberId.of(id));
  }

  /** The member answering 200 on /primary now, if one does; fails if two do (S2). */
  public synchronized Optional<FailoverMember> servingMember() {
    List<FailoverMember> serving = running.values().stream().filter(FailoverMember::servingPrimary).toList();
    if (serving.size() > 1) {
      throw new AssertionError("two members serve as primary: " + serving.stream().map(m -> m.id().value()).toList());
    }
    return serving.stream().findFirst();
  }

  @Override
  public Optional<String> servingPrimary() {
    return servingMember().map(m -> m.id().value());
  }

  @Override
  public synchronized Optional<DatabaseStatus> database(String member) {
    FailoverMember m = running.get(MemberId.of(member));
    return m == null ? Optional.empty() : m.local().database();
  }

  @Override
  public ClusterView view() {
    return anyRunning().orElseThrow(() -> new IllegalStateException("no member runs")).cluster();
  }

  @Override
  public void switchover(String from, Duration wait) {
    member(from).switchover(SwitchoverRequest.now(), wait);
  }

  @Override
  public List<String> adapterLog(String member) {
    return adapterLogs.messages().stream().filter(m -> m.startsWith("member " + member + " ")).toList();
  }

  public synchronized Optional<FailoverMember> anyRunning() {
    return running.values().stream().findFirst();
  }

  public Timing timing() {
    return timing;
  }

  /** One line per running member, for failure messages. */
  @Override
  public synchronized String describe() {
    return running.values().stream().map(m -> m.id() + "=" + m.local().role() + "/epoch " + m.local().epoch()
        + "/serving " + m.servingPrimary() + "/db " + m.local().database().map(d -> d.state() + " tl" + d.timeline()
            + " " + d.detail()).orElse("?") + "/" + m.local().reason()).collect(Collectors.joining("; "));
  }

  @Override
  public synchronized void close() {
    for (FailoverMember m : running.values()) {
      m.close();
    }
    running.clear();
    adapterLogs.close();
  }
}

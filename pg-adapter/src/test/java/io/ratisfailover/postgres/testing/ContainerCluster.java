package io.ratisfailover.postgres.testing;

import com.github.dockerjava.api.DockerClient;
import io.ratisfailover.ClusterSettings;
import io.ratisfailover.ClusterView;
import io.ratisfailover.FailoverMember;
import io.ratisfailover.HistoryEntry;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.SwitchoverRequest;
import io.ratisfailover.Timing;
import io.ratisfailover.postgres.PostgresConfig;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.testing.Ports;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * The cluster of {@link TestCluster} with each data member — agent, adapter and PostgreSQL — in
 * its own container ({@link ContainerMember}, built from the PostgreSQL image plus a JRE and this
 * test classpath) and the witness in this JVM. Containers share the host's network, so every
 * address is still a free port on 127.0.0.1. The witness's replicated view tells who serves.
 * A whole-member crash is a SIGKILL of the container; the container is started again later.
 */
public final class ContainerCluster implements TestCluster {
  private static final String BASE_IMAGE = "postgres:15-bookworm";
  private static final Path TEMP = Path.of(System.getProperty("java.io.tmpdir"));

  private final String name;
  private final Timing timing;
  private final List<Peer> peers = new ArrayList<>();
  private final Map<String, GenericContainer<?>> containers = new LinkedHashMap<>();
  private final Map<String, PostgresConfig> postgres = new LinkedHashMap<>();
  private final Path witnessStorage;
  private FailoverMember witness;

  private ContainerCluster(String name, Timing timing, ClusterSettings settings) throws IOException {
    this.name = name;
    this.timing = timing;
    int[] ports = Ports.free(5);
    peers.add(Peer.data("pg1", "127.0.0.1:" + ports[0]));
    peers.add(Peer.data("pg2", "127.0.0.1:" + ports[1]));
    peers.add(Peer.witness("w1", "127.0.0.1:" + ports[2]));
    String peerSpec = peers.stream().map(p -> p.id() + ":" + p.kind() + ":" + p.raftAddress()).collect(Collectors.joining(","));
    ImageFromDockerfile image = image();
    int i = 3;
    for (String member : List.of("pg1", "pg2")) {
      int pgPort = ports[i++];
      postgres.put(member, PostgresConfig.builder().dataDirectory(Path.of("/container/" + member)).listenHost("127.0.0.1")
          .port(pgPort).superuser("postgres", PgSandbox.SUPERUSER_PASSWORD)
          .replication("replicator", PgSandbox.REPLICATION_PASSWORD).build());
      GenericContainer<?> c = new GenericContainer<>(image).withNetworkMode("host")
          .withCommand("cluster=" + name, "member=" + member, "peers=" + peerSpec, "pgport=" + pgPort,
              "sync=" + settings.synchronousMode())
          .waitingFor(Wait.forLogMessage(".*member " + member + ": started.*", 1)
              .withStartupTimeout(Duration.ofMinutes(2)));
      containers.put(member, c);
    }
    witnessStorage = Files.createTempDirectory(TEMP, "rf-witness-");
  }

  /** Builds the image (cached by Docker between runs), starts the witness and both data members. */
  public static ContainerCluster start(String name, Timing timing, ClusterSettings settings) throws IOException {
    ContainerCluster c = new ContainerCluster(name, timing, settings);
    try {
      c.witness = FailoverMember.builder().clusterName(name).memberId("w1").peers(c.peers)
          .storageDirectory(c.witnessStorage).timing(timing).initialSettings(settings).insecureRaft().build();
      c.witness.start();
      c.containers.values().forEach(GenericContainer::start);
      return c;
    } catch (RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /**
   * The PostgreSQL server image plus a JRE and the current test classpath, entries numbered so
   * that the container's classpath keeps their order.
   */
  private static ImageFromDockerfile image() {
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ImageFromDockerfile image = new ImageFromDockerfile("ratis-failover-pg-member", false);
    List<String> containerPath = new ArrayList<>();
    int n = 0;
    for (String entry : classpath.split(File.pathSeparator)) {
      Path p = Path.of(entry);
      if (!Files.exists(p)) {
        continue;
      }
      String target = String.format("cp/%03d%s", n++, Files.isDirectory(p) ? "" : ".jar");
      image.withFileFromPath(target, p);
      containerPath.add("/app/" + target);
    }
    String cp = String.join(":", containerPath);
    return image.withDockerfileFromBuilder(b -> b.from(BASE_IMAGE)
        .run("apt-get update && apt-get install -y --no-install-recommends openjdk-17-jre-headless"
            + " && rm -rf /var/lib/apt/lists/*")
        .copy("cp", "/app/cp")
        .entryPoint("java", "-cp", cp, ContainerMember.class.getName())
        .build());
  }

  private DockerClient docker() {
    return DockerClientFactory.instance().client();
  }

  private GenericContainer<?> container(String member) {
    GenericContainer<?> c = containers.get(member);
    if (c == null) {
      throw new IllegalArgumentException(member + " is not a data member");
    }
    return c;
  }

  @Override
  public Optional<String> servingPrimary() {
    ClusterView v = view();
    Optional<MemberId> p = v.primary();
    boolean promoted = !v.history().isEmpty() && v.history().get(v.history().size() - 1).promoted();
    return p.filter(id -> promoted && isRunning(id.value())
        && TestCluster.reported(v, id.value()).map(DatabaseStatus::isPrimary).orElse(false)).map(MemberId::value);
  }

  @Override
  public PostgresConfig postgres(String member) {
    return postgres.get(member);
  }

  @Override
  public Optional<DatabaseStatus> database(String member) {
    return TestCluster.reported(view(), member);
  }

  @Override
  public ClusterView view() {
    return witness.cluster();
  }

  @Override
  public boolean isRunning(String member) {
    if (member.equals("w1")) {
      return witness != null;
    }
    GenericContainer<?> c = container(member);
    return c.getContainerId() != null
        && Boolean.TRUE.equals(docker().inspectContainerCmd(c.getContainerId()).exec().getState().getRunning());
  }

  @Override
  public void killMember(String member) {
    docker().killContainerCmd(container(member).getContainerId()).withSignal("KILL").exec();
  }

  @Override
  public void crashPostgres(String member) {
    try {
      var r = container(member).execInContainer("sh", "-c",
          "kill -9 \"$(head -n 1 " + ContainerMember.DATA + "/postmaster.pid)\"");
      if (r.getExitCode() != 0) {
        throw new IllegalStateException("cannot kill the postmaster of " + member + ": " + r.getStderr());
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void start(String member) {
    GenericContainer<?> c = container(member);
    if (c.getContainerId() == null) {
      c.start();
    } else {
      docker().startContainerCmd(c.getContainerId()).exec();
    }
  }

  @Override
  public void switchover(String from, Duration wait) {
    witness.switchover(new SwitchoverRequest(Optional.of(MemberId.of(from)), Optional.empty(), Optional.empty()), wait);
  }

  @Override
  public List<String> adapterLog(String member) {
    return container(member).getLogs().lines().filter(l -> l.contains("PostgresAdapter - member " + member + " "))
        .map(l -> l.substring(l.indexOf(" - ") + 3)).toList();
  }

  @Override
  public String describe() {
    try {
      ClusterView v = view();
      return "epoch " + v.epoch() + ", primary " + v.primary().map(MemberId::value).orElse("none") + ", "
          + v.members().stream().filter(m -> m.kind() == MemberKind.DATA).map(m -> m.id() + "=" + m.status()
              .map(s -> s.state() + " tl" + s.timeline() + " " + s.detail()).orElse("?")).collect(Collectors.joining("; "))
          + ", last " + v.history().stream().reduce((a, b) -> b).map(HistoryEntry::cause).orElse(null);
    } catch (RuntimeException e) {
      return "cluster " + name + ": " + e;
    }
  }

  @Override
  public void close() {
    for (GenericContainer<?> c : containers.values()) {
      try {
        c.stop();
      } catch (RuntimeException e) {
        System.err.println("test cleanup: stopping container failed: " + e);
      }
    }
    if (witness != null) {
      witness.close();
    }
  }

  public Timing timing() {
    return timing;
  }
}

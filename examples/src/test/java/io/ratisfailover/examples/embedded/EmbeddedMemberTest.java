package io.ratisfailover.examples.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.FailoverMember;
import io.ratisfailover.LocalRole;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberView;
import io.ratisfailover.Peer;
import io.ratisfailover.RoleChange;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.Ports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedding example with real PostgreSQL: two applications each embed a data member, a witness
 * completes the group; each application hears of its own role changes and reads the cluster.
 */
class EmbeddedMemberTest {
  static final Duration PATIENCE = Duration.ofSeconds(60);
  static final String OS_USER =
      "root".equals(System.getProperty("user.name")) ? "postgres" : System.getProperty("user.name");

  @TempDir Path dir;

  @Test
  void eachApplicationHearsOfItsRoleAndTheSurvivorTakesOver() throws Exception {
    int[] ports = Ports.free(5);
    List<Peer> peers = List.of(Peer.data("pg1", "127.0.0.1:" + ports[0]), Peer.data("pg2", "127.0.0.1:" + ports[1]),
        Peer.witness("w1", "127.0.0.1:" + ports[2]));
    // PostgreSQL's own user must reach its data directories inside the test's directory.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    try (FailoverMember witness = FailoverMember.builder().clusterName("app").memberId("w1").peers(peers)
            .storageDirectory(dir.resolve("w1")).insecureRaft().build();
        EmbeddedMember pg1 = new EmbeddedMember(setup("pg1", peers, ports[3]));
        EmbeddedMember pg2 = new EmbeddedMember(setup("pg2", peers, ports[4]))) {
      witness.start();
      pg1.start();
      pg2.start();
      EmbeddedMember primary = Await.value("an application that may write locally", PATIENCE,
          () -> pg1.mayWriteLocally() ? pg1 : pg2.mayWriteLocally() ? pg2 : null);
      EmbeddedMember other = primary == pg1 ? pg2 : pg1;
      Await.until("the primary's application told of its promotion", PATIENCE,
          () -> primary.lastChange() != null && primary.lastChange().to() == LocalRole.PRIMARY);
      assertThat(primary.describe()).contains("PRIMARY").contains("cluster primary " + primary.lastChange().member());
      Await.until("the other application sees the same primary", PATIENCE,
          () -> other.describe().contains("cluster primary " + primary.lastChange().member()));
      // Only a standby with data can take over: wait until the other one has cloned and follows.
      MemberId otherId = primary == pg1 ? MemberId.of("pg2") : MemberId.of("pg1");
      Await.until("the other member following the primary", PATIENCE, () -> witness.cluster().member(otherId)
          .flatMap(MemberView::status).map(s -> s.isReplica() && s.upstream().isPresent()).orElse(false));

      primary.close();
      RoleChange promoted = Await.value("the survivor's application told of its promotion", PATIENCE,
          () -> other.lastChange() != null && other.lastChange().to() == LocalRole.PRIMARY ? other.lastChange() : null);
      assertThat(promoted.epoch().value()).isGreaterThan(1);
      // The role comes first; serving follows once the promoted database reports read-write.
      Await.until("the survivor's application may write locally", PATIENCE, other::mayWriteLocally);
    } finally {
      killPostmasters(dir.resolve("pg1-data"), dir.resolve("pg2-data"));
    }
  }

  /** Whatever a failed test left running, by the PIDs the servers recorded. */
  static void killPostmasters(Path... dataDirectories) throws Exception {
    for (Path d : dataDirectories) {
      Path pidFile = d.resolve("postmaster.pid");
      if (Files.exists(pidFile)) {
        long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).strip());
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        if (p.isPresent()) {
          p.get().destroyForcibly();
          p.get().onExit().get(10, TimeUnit.SECONDS);
        }
      }
    }
  }

  @Test
  void badArgumentsAreNamed() {
    assertThatThrownBy(() -> EmbeddedMember.parse(new String[] {"pg1"})).hasMessageContaining("at least 3 peers");
    assertThatThrownBy(() -> EmbeddedMember.parse(
        new String[] {"pg1", "/r", "/d", "54x2", "postgres", "a=data@h:1", "b=data@h:2", "c=witness@h:3"}))
        .hasMessageContaining("54x2");
    assertThatThrownBy(() -> EmbeddedMember.parse(
        new String[] {"pg1", "/r", "/d", "5432", "postgres", "a=data@h:1", "b=db@h:2", "c=witness@h:3"}))
        .hasMessageContaining("b=db@h:2");
  }

  EmbeddedMember.Setup setup(String member, List<Peer> peers, int postgresPort) {
    return new EmbeddedMember.Setup(MemberId.of(member), peers, dir.resolve(member), dir.resolve(member + "-data"),
        postgresPort, OS_USER);
  }
}

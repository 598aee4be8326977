package io.ratisfailover.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.FailoverMember;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.Timing;
import io.ratisfailover.probe.ProbeConfig;
import io.ratisfailover.probe.ProbeServer;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.LocalCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rfctl add-member}, {@code replace} and {@code remove} against a running member's
 * authenticated API, on a real cluster (Raft on loopback, in-memory databases).
 */
class CtlMembershipTest {
  static final Duration PATIENCE = Duration.ofSeconds(60);

  @TempDir Path dir;
  @RegisterExtension final ConsoleCapture console = new ConsoleCapture();
  LocalCluster cluster;
  final List<ProbeServer> probes = new ArrayList<>();

  @AfterEach
  void stop() {
    probes.forEach(ProbeServer::close);
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void addReplaceAndRemoveAWitnessThroughTheApi() {
    cluster = LocalCluster.threeMembers("orders", dir, Timing.defaults()).startAll();
    Await.until("a serving primary", PATIENCE, () -> cluster.servingPrimary().isPresent(), cluster::describe);
    FailoverMember primary = cluster.servingPrimary().orElseThrow();
    Await.until("every member reporting", PATIENCE,
        () -> primary.cluster().members().stream().allMatch(m -> m.reporting()), cluster::describe);
    String url = api(primary);

    Peer w2 = cluster.newPeer("w2", MemberKind.WITNESS);
    cluster.start("w2");
    assertThat(admin(url, "add-member", "w2", "--kind", "witness", "--raft-address", w2.raftAddress())).as(this::err).isZero();
    assertThat(out()).contains("Adding w2: done; voters: pg1, pg2, w1, w2");

    Peer w3 = cluster.newPeer("w3", MemberKind.WITNESS);
    cluster.start("w3");
    assertThat(admin(url, "replace", "w1", "w3", "--kind", "witness", "--raft-address", w3.raftAddress())).as(this::err).isZero();
    assertThat(out()).contains("Replacing w1 with w3: done; voters: pg1, pg2, w2, w3");

    Await.until("w3 reporting", PATIENCE, () -> primary.cluster().member(MemberId.of("w3"))
        .filter(m -> m.reporting()).isPresent(), cluster::describe);
    assertThat(admin(url, "remove", "w2")).as(this::err).isZero();
    assertThat(out()).contains("Removed w2; voters: pg1, pg2, w3");
    assertThat(Set.copyOf(primary.voters())).containsExactlyInAnyOrder(MemberId.of("pg1"), MemberId.of("pg2"),
        MemberId.of("w3"));

    // Unsafe or mistaken changes: one line each, exit code 1.
    assertThat(admin(url, "remove", "w3")).isEqualTo(1);
    assertThat(err()).contains("removing w3 would leave 2 voters").doesNotContain("\n\tat ");
    assertThat(admin(url, "remove", primary.id().value())).isEqualTo(1);
    assertThat(err()).contains(primary.id() + " is the primary; switch over to another member first");
    assertThat(admin(url, "remove", "pg9")).isEqualTo(1);
    assertThat(err()).contains("member pg9 is not in cluster orders");
    assertThat(ctl("--url", url, "remove", "w3")).isEqualTo(1); // no credentials
    assertThat(primary.voters()).hasSize(3);
  }

  /** A probe with admin credentials on the given member; its URL. */
  private String api(FailoverMember member) {
    ProbeServer probe = ProbeServer.start(member, ProbeConfig.builder().host("127.0.0.1").port(0)
        .auth("admin", "pw").adminTimeout(Duration.ofSeconds(20)).build());
    probes.add(probe);
    return probe.url();
  }

  /** rfctl with the admin credentials. */
  private int admin(String url, String... args) {
    List<String> all = new ArrayList<>(List.of("--url", url, "--username", "admin", "--password", "pw", "--timeout", "60"));
    all.addAll(List.of(args));
    return ctl(all.toArray(String[]::new));
  }

  private int ctl(String... args) {
    console.out.reset();
    console.err.reset();
    return Ctl.run(args);
  }

  private String out() {
    return console.out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return console.err.toString(StandardCharsets.UTF_8);
  }
}

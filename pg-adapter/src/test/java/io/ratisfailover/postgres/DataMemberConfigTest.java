package io.ratisfailover.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.Peer;
import io.ratisfailover.SettingException;
import io.ratisfailover.Timing;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** DataMemberConfig applies every rule FailoverMember.Builder applies, plus its own, each naming the setting. */
class DataMemberConfigTest {
  private static DataMemberConfig.Builder good() {
    return DataMemberConfig.builder().clusterName("orders").member("pg1")
        .peers(List.of(Peer.data("pg1", "127.0.0.1:7001"), Peer.data("pg2", "127.0.0.1:7002"),
            Peer.witness("w1", "127.0.0.1:7003")))
        .storageDirectory(Path.of("/var/lib/rf/pg1")).insecureRaft()
        .postgres(PostgresConfig.builder().dataDirectory(Path.of("/var/lib/postgresql/data")).listenHost("127.0.0.1")
            .superuser("postgres", "s").replication("replicator", "r").build());
  }

  @Test
  void aGoodConfigBuildsWithTheDefaultSnapshotInterval() {
    assertThat(good().build().snapshotEvery()).isEqualTo(1000);
  }

  /** Both were accepted by build() and refused only later, by PostgresMember.create. */
  @Test
  void theMemberBuildersRulesApplyWhenTheConfigIsBuilt() {
    assertThatThrownBy(() -> good().peers(List.of(Peer.data("pg1", "127.0.0.1:7001"), Peer.data("pg1", "127.0.0.1:7002")))
        .build()).isInstanceOf(SettingException.class).hasMessage("peer pg1 is listed twice")
        .extracting(e -> ((SettingException) e).setting()).isEqualTo("peers");
    assertThatThrownBy(() -> good().snapshotEvery(5).build()).isInstanceOf(SettingException.class)
        .hasMessage("snapshotEvery: must be at least 10 entries, got 5");
  }

  @Test
  void itsOwnRulesNameTheirSetting() {
    assertThatThrownBy(() -> good().storageDirectory(Path.of("/var/lib/postgresql/data/raft")).build())
        .isInstanceOf(SettingException.class).hasMessageStartingWith("storageDirectory: the Raft storage");
    assertThatThrownBy(() -> good().timing(Timing.builder().statusTimeout(Duration.ofMillis(100)).build()).build())
        .isInstanceOf(SettingException.class).hasMessageStartingWith("postgres.statusTimeout: the adapter's status timeout");
  }
}

package io.ratisfailover.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.Timing;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.LocalCluster;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RealRatisSmokeTest {
  @TempDir Path dir;

  @Test
  void threeMembersElectAPrimary() {
    try (LocalCluster cluster = LocalCluster.threeMembers("smoke", dir, Timing.defaults()).startAll()) {
      Await.until("a serving primary", Duration.ofSeconds(20), () -> cluster.servingPrimary().isPresent(), cluster::describe);
      assertThat(cluster.servingPrimary().get().id().value()).startsWith("pg");
    }
  }
}

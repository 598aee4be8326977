package io.ratisfailover.postgres;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.Timing;
import io.ratisfailover.postgres.testing.ContainerCluster;
import io.ratisfailover.postgres.testing.TestCluster;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The same cluster scenarios with each data member (agent, adapter and PostgreSQL) in its own
 * container. Runs where a Docker engine exists; skipped, visibly, where none does — the
 * local-process variant ({@link PostgresClusterTest}) always runs.
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainerPostgresClusterTest extends ClusterScenarios {
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @Override
  TestCluster newCluster(String name, ClusterSettings settings) throws Exception {
    return closeAfterTest(ContainerCluster.start(name, Timing.defaults(), settings));
  }

  @Override
  synchronized <T extends AutoCloseable> T closeAfterTest(T closeable) {
    toClose.add(closeable);
    return closeable;
  }

  @AfterEach
  synchronized void stopEverything() {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      try {
        toClose.get(i).close();
      } catch (Exception e) {
        System.err.println("test cleanup: closing " + toClose.get(i) + " failed: " + e);
      }
    }
    toClose.clear();
  }
}

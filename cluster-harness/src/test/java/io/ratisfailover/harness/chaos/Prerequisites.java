package io.ratisfailover.harness.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/**
 * What the namespace cluster needs: root, the cgroup freezer, iproute2, nftables, nsenter, HAProxy
 * and the PostgreSQL server binaries. In CI their absence fails the test; elsewhere it skips with
 * the reason.
 */
final class Prerequisites {
  private Prerequisites() {}

  static void require() {
    List<String> missing = missing();
    if (System.getenv("CI") == null) {
      Assumptions.assumeTrue(missing.isEmpty(), "this test needs: " + missing);
    }
    assertThat(missing).as("prerequisites (scripts/prerequisites.sh installs them)").isEmpty();
  }

  private static List<String> missing() {
    List<String> missing = new ArrayList<>();
    if (!"root".equals(System.getProperty("user.name"))) {
      missing.add("root");
    }
    for (String tool : List.of("ip", "nft", "nsenter", "haproxy")) {
      if (!onPath(tool)) {
        missing.add(tool);
      }
    }
    try (var dirs = Files.list(Path.of("/usr/lib/postgresql"))) {
      if (dirs.noneMatch(d -> Files.isExecutable(d.resolve("bin/postgres")))) {
        missing.add("PostgreSQL server binaries");
      }
    } catch (IOException e) {
      missing.add("PostgreSQL server binaries");
    }
    if (!Injector.canFreeze()) {
      missing.add("a writable cgroup freezer at /sys/fs/cgroup/freezer");
    }
    return missing;
  }

  private static boolean onPath(String tool) {
    for (String d : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin").split(":")) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
        return true;
      }
    }
    return false;
  }
}

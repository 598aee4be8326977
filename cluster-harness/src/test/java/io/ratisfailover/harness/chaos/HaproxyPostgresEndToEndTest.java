package io.ratisfailover.harness.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's HAProxy, configured as a Patroni user configures it, in front of real PostgreSQL members
 * (sidecar processes) and a writer: the primary's host dies, HAProxy moves to the new primary within
 * one check interval of its lease, never lists two servers UP, and no acknowledged write is lost
 * ({@link HaproxyFailover}).
 */
class HaproxyPostgresEndToEndTest {
  @TempDir
  Path dir;

  @Test
  void haproxyFollowsTheNewPrimaryAndNeverListsTwo() throws Exception {
    Prerequisites.require();
    assertThat(HaproxyFailover.run(dir.resolve("e2e"))).as("HAProxy failover (its output above says what went wrong)")
        .isZero();
  }
}

package io.ratisfailover.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.Epoch;
import io.ratisfailover.LocalRole;
import io.ratisfailover.MemberId;
import io.ratisfailover.RoleChange;
import io.ratisfailover.RoleListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How the PgBouncer action is scheduled; {@code PgBouncerTest} runs it against a real PgBouncer. */
class PgBouncerListenerTest {
  @TempDir
  Path dir;

  private PgBouncer bouncer() {
    return new PgBouncer(new PgBouncer.Config("127.0.0.1", 1, "admin", "secret", dir.resolve("databases.ini"),
        Map.of("orders", "dbname=orders"), Duration.ofMillis(100), "/nonexistent/psql"));
  }

  @Test
  void thePromotionsActionRunsOnTheGivenExecutorNeverOnTheReportingThread() {
    List<Runnable> queued = new ArrayList<>();
    RoleListener listener = bouncer().onPromotion("127.0.0.1", 5432, queued::add);
    listener.roleChanged(change(LocalRole.CANDIDATE, LocalRole.PRIMARY));
    listener.roleChanged(change(LocalRole.STARTING, LocalRole.REPLICA));
    assertThat(queued).hasSize(1);
    assertThat(Files.exists(dir.resolve("databases.ini"))).as("nothing written on the reporting thread").isFalse();
    bouncer().onPromotion("127.0.0.1", 5432, task -> {
      throw new RejectedExecutionException("shut down");
    }).roleChanged(change(LocalRole.CANDIDATE, LocalRole.PRIMARY));
  }

  @Test
  void anActionQueuedBeforeTheMemberLostThePrimaryRoleWritesNothing() {
    List<Runnable> queued = new ArrayList<>();
    RoleListener listener = bouncer().onPromotion("127.0.0.1", 5432, queued::add);
    listener.roleChanged(change(LocalRole.CANDIDATE, LocalRole.PRIMARY));
    listener.roleChanged(change(LocalRole.PRIMARY, LocalRole.DEMOTING));
    queued.get(0).run();
    assertThat(Files.exists(dir.resolve("databases.ini"))).isFalse();
  }

  private static RoleChange change(LocalRole from, LocalRole to) {
    return new RoleChange(MemberId.of("pg1"), from, to, Epoch.of(2), "test", Instant.EPOCH);
  }
}

package io.ratisfailover.postgres;

import static io.ratisfailover.postgres.AdapterContext.log;

import io.ratisfailover.MemberId;
import io.ratisfailover.postgres.AdapterContext.Environment;
import io.ratisfailover.postgres.internal.BackupTool;
import io.ratisfailover.postgres.internal.Postmaster;
import io.ratisfailover.spi.DatabaseException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The backup repository's record of the cluster (pgBackRest's stanza), made by the primary once per
 * server run: after a bootstrap, a promotion or a start as primary. It runs on a thread of its own,
 * because a repository that is slow or out of reach must never delay a failover; until the stanza
 * exists the primary's WAL waits in {@code pg_wal}, and the failure is logged for a person.
 */
final class BackupStanza {
  /** pgBackRest checks the repository and the server; a minute covers a slow object store. */
  private static final Duration TIMEOUT = Duration.ofMinutes(2);

  private final AdapterContext ctx;
  private final MemberId self;
  private final Postmaster postmaster;
  private final ExecutorService worker;
  /** The postmaster PID the stanza was made (or is being made) for. */
  private final AtomicLong doneFor = new AtomicLong(-1);

  BackupStanza(AdapterContext ctx) {
    this.ctx = ctx;
    this.self = ctx.self;
    this.postmaster = ctx.postmaster;
    this.worker = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "ratis-failover-" + self + "-backup-stanza");
      t.setDaemon(true);
      return t;
    });
  }

  /** Makes the stanza in the background, unless it was made for the running primary already. */
  void ensure(Environment env) {
    Optional<BackupTool> tool = env.backup();
    Optional<Postmaster.Running> running = postmaster.running();
    if (tool.isEmpty() || running.isEmpty()) {
      return;
    }
    long pid = running.get().pid();
    long before = doneFor.get();
    if (before == pid || !doneFor.compareAndSet(before, pid)) {
      return;
    }
    try {
      worker.execute(() -> create(env, tool.get(), pid));
    } catch (RejectedExecutionException e) {
      log.debug("member {} epoch {}: adapter closed; no {} check", self, ctx.epoch(), tool.get().describe());
    }
  }

  private void create(Environment env, BackupTool tool, long pid) {
    try {
      tool.createStanza(env.tools().runner(), TIMEOUT);
      log.info("member {} epoch {}: {} is ready for this primary's WAL", self, ctx.epoch(), tool.describe());
    } catch (DatabaseException e) {
      // Try again with the next start or configuration of the primary.
      doneFor.compareAndSet(pid, -1);
      log.error("member {} epoch {}: cannot prepare {}: WAL is not archived until this is fixed: {}", self, ctx.epoch(),
          tool.describe(), e.getMessage());
    }
  }

  /** Stops the worker; a stanza creation in progress is interrupted. */
  void close() {
    worker.shutdownNow();
  }
}

package io.ratisfailover.postgres.testing;

import io.ratisfailover.MemberId;
import io.ratisfailover.postgres.PostgresAdapter;
import io.ratisfailover.postgres.PostgresConfig;
import io.ratisfailover.postgres.PostmasterGuard;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * A stand-in agent in a JVM of its own, so that a test can kill -9 or SIGSTOP it for real: starts
 * the server of a data directory as a primary (the postmaster is its child, as under the real
 * agent), starts a {@link PostmasterGuard} next to it and then, by mode:
 * <ul>
 *   <li>{@code armed} — keeps the guard alive every 100 ms with {@code deadline} ms, as renewals would;
 *   <li>{@code disarmed} — arms it once, then disarms it, as a primary that became a standby does;
 *   <li>{@code unguarded} — starts no guard (the guard switched off): prints 0 as the guard's PID.
 * </ul>
 * Prints {@code KEPT <System.nanoTime()>} after arming and every keep-alive, and
 * {@code READY <postmaster pid> <guard pid>} once the guard holds its first instruction.
 *
 * <p>Arguments: data directory, port, mode, deadline in milliseconds.
 */
public final class GuardedAgentMain {
  static final Duration KEEP_ALIVE_EVERY = Duration.ofMillis(100);

  private GuardedAgentMain() {}

  public static void main(String[] args) throws Exception {
    Path dataDirectory = Path.of(args[0]);
    PostgresConfig config = PgSandbox.config(dataDirectory, Integer.parseInt(args[1])).build();
    String mode = args[2];
    Duration deadline = Duration.ofMillis(Long.parseLong(args[3]));
    MemberId member = MemberId.of("pg1");
    PostgresAdapter adapter = PostgresAdapter.create(member, config);
    adapter.startPrimary(PgSandbox.topology(1));
    long postmaster = PgSandbox.postmasterPid(dataDirectory).orElseThrow();
    if (mode.equals("unguarded")) {
      System.out.println("READY " + postmaster + " 0");
      System.out.flush();
      new java.util.concurrent.CountDownLatch(1).await();
    }
    PostmasterGuard guard = PostmasterGuard.start(member, config);
    guard.arm(deadline);
    if (mode.equals("disarmed")) {
      guard.disarm();
    } else {
      kept();
    }
    System.out.println("READY " + postmaster + " " + guard.pid().orElseThrow());
    System.out.flush();
    while (true) {
      LockSupport.parkNanos(KEEP_ALIVE_EVERY.toNanos());
      if (mode.equals("armed")) {
        guard.keepAlive(deadline);
        kept();
      }
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
  }

  /**
   * Tells the test when the guard's deadline was last set. System.nanoTime is CLOCK_MONOTONIC, the
   * same in every process of the host, and this call comes after the guard read its clock.
   */
  private static void kept() {
    System.out.println("KEPT " + System.nanoTime());
    System.out.flush();
  }
}

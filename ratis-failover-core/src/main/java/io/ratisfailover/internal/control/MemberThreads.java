package io.ratisfailover.internal.control;

import io.ratisfailover.MemberId;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member's threads: the agent's loop, and one lane each for database operations, fences and
 * Raft administration, so that a slow operation never holds up a fence or the loop.
 */
public final class MemberThreads {
  // Logged under FailoverMember, which owned these threads before they had a class of their own.
  private static final Logger log = LoggerFactory.getLogger("io.ratisfailover.FailoverMember");

  private final MemberId member;
  private final ExecutorLoop loop;
  private final ExecutorService operationLane;
  private final ExecutorService fenceLane;
  private final ExecutorService adminLane;

  public MemberThreads(MemberId member) {
    this.member = member;
    String name = "ratis-failover-" + member;
    this.loop = new ExecutorLoop(name + "-agent");
    this.operationLane = Executors.newSingleThreadExecutor(daemon(name + "-db"));
    this.fenceLane = Executors.newSingleThreadExecutor(daemon(name + "-fence"));
    this.adminLane = Executors.newSingleThreadExecutor(daemon(name + "-raft-admin"));
  }

  public ExecutorLoop loop() {
    return loop;
  }

  public ExecutorService operationLane() {
    return operationLane;
  }

  public ExecutorService fenceLane() {
    return fenceLane;
  }

  public ExecutorService adminLane() {
    return adminLane;
  }

  /** Stops every thread; a fence under way may finish within {@code fenceWait}. */
  public void shutdown(Duration fenceWait) {
    loop.close();
    operationLane.shutdownNow();
    adminLane.shutdownNow();
    // A fence under way finishes: interrupted, it could leave the database writable.
    fenceLane.shutdown();
    try {
      if (!fenceLane.awaitTermination(fenceWait.toNanos(), TimeUnit.NANOSECONDS)) {
        log.error("member {}: a fence did not finish within {} ms of closing", member, fenceWait.toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    fenceLane.shutdownNow();
  }

  private static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}

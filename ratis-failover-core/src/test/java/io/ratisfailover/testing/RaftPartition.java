package io.ratisfailover.testing;

import io.ratisfailover.MemberId;
import io.ratisfailover.internal.state.Codec;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.util.CodeInjectionForTesting;

/**
 * Cuts members of in-process Ratis servers off from the rest, using Ratis' own injection points:
 * a request across the cut (append entries, votes, snapshots, leadership hand-over, and client
 * writes — attributed to the member named in our command) blocks until the cut heals, as if the
 * network dropped it. Injection points are JVM-global: one partition at a time, and {@link #close()}
 * it (which heals everything) when done.
 */
public final class RaftPartition implements CodeInjectionForTesting.Code, AutoCloseable {
  private static final String[] POINTS = {"RaftServerImpl.appendEntries", "RaftServerImpl.requestVote",
      "RaftServerImpl.installSnapshot", "RaftServerImpl.startLeaderElection", "RaftServerImpl.appendTransaction"};
  private static final long MAX_BLOCK_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final Set<String> isolated = new HashSet<>();

  public RaftPartition() {
    for (String point : POINTS) {
      CodeInjectionForTesting.put(point, this);
    }
  }

  /** Cuts {@code member} off from every other member. */
  public synchronized void isolate(MemberId member) {
    isolated.add(member.value());
  }

  public synchronized void heal() {
    isolated.clear();
    notifyAll();
  }

  @Override
  public boolean execute(Object localId, Object remoteId, Object... args) {
    String local = String.valueOf(localId);
    String remote = remoteId == null ? null : String.valueOf(remoteId);
    if (args.length > 0 && args[0] instanceof RaftClientRequest request) {
      remote = senderOf(request);
    }
    if (remote == null) {
      return false;
    }
    long deadline = System.nanoTime() + MAX_BLOCK_NANOS;
    synchronized (this) {
      boolean blocked = false;
      while (separated(local, remote) && System.nanoTime() < deadline) {
        blocked = true;
        try {
          TimeUnit.NANOSECONDS.timedWait(this, deadline - System.nanoTime());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return true;
        }
      }
      return blocked;
    }
  }

  private boolean separated(String a, String b) {
    return isolated.contains(a) != isolated.contains(b);
  }

  private static String senderOf(RaftClientRequest request) {
    try {
      return Codec.decodeRequest(request.getMessage().getContent().toByteArray()).origin().member().value();
    } catch (RuntimeException e) {
      return null;
    }
  }

  @Override
  public void close() {
    heal();
    for (String point : POINTS) {
      CodeInjectionForTesting.remove(point);
    }
  }
}

package io.ratisfailover.testing;

import io.ratisfailover.FailoverMember;
import io.ratisfailover.MemberKind;
import io.ratisfailover.MemberId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * Samples a running cluster every few milliseconds on its own thread and remembers the first time
 * two members answered 200 on /primary, a witness did, or two databases accepted writes. Close it
 * and call {@link #assertSafe()}.
 */
public final class SafetyWatch implements AutoCloseable {
  private final Supplier<List<FailoverMember>> members;
  private final InMemoryDatabases databases;
  private final Thread thread;
  private final List<String> violations = new ArrayList<>();
  private volatile boolean running = true;
  private long samples;

  public SafetyWatch(Supplier<List<FailoverMember>> members, InMemoryDatabases databases) {
    this.members = members;
    this.databases = databases;
    this.thread = new Thread(this::run, "safety-watch");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    while (running) {
      List<String> serving = new ArrayList<>();
      for (FailoverMember m : members.get()) {
        if (m.servingPrimary()) {
          serving.add(m.id().value());
          if (m.kind() == MemberKind.WITNESS) {
            record("witness " + m.id() + " answered 200 on /primary");
          }
        }
      }
      if (serving.size() > 1) {
        record("two members answered 200 on /primary: " + serving);
      }
      List<MemberId> writable = databases.writable();
      if (writable.size() > 1) {
        record("two databases accepted writes: " + writable);
      }
      synchronized (this) {
        samples++;
      }
      LockSupport.parkNanos(2_000_000);
    }
  }

  private synchronized void record(String violation) {
    if (violations.size() < 10) {
      violations.add(System.nanoTime() / 1_000_000 + " ms: " + violation);
    }
  }

  public synchronized List<String> violations() {
    return List.copyOf(violations);
  }

  public void assertSafe() {
    List<String> v = violations();
    if (!v.isEmpty()) {
      throw new AssertionError("safety violated: " + v);
    }
    synchronized (this) {
      if (samples < 10) {
        throw new AssertionError("the watch took only " + samples + " samples");
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join(5_000);
  }
}

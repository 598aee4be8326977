package io.ratisfailover.postgres.testing;

import io.ratisfailover.postgres.PostgresConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

/**
 * A direct client of one server (no router in between) that tries a write every {@code interval}
 * on a connection it keeps, reconnecting after every failure, and records when each attempt began
 * and whether it committed: the observer of "this server accepts writes".
 */
public final class WriteProbe implements AutoCloseable {
  private static final String TABLE = "guard_probe";

  /** One write attempt: started at {@code startNanos} (System.nanoTime), committed or not. */
  public record Attempt(long startNanos, long endNanos, boolean committed) {}

  private final PostgresConfig server;
  private final Duration interval;
  private final List<Attempt> attempts = new CopyOnWriteArrayList<>();
  private final Thread thread;
  private volatile boolean stopping;
  private Connection connection;

  private WriteProbe(PostgresConfig server, Duration interval) {
    this.server = server;
    this.interval = interval;
    this.thread = new Thread(this::run, "write-probe-" + server.port());
    this.thread.setDaemon(true);
  }

  /** Creates the probe's table on {@code server} and starts writing. */
  public static WriteProbe start(PostgresConfig server, Duration interval) throws SQLException {
    Db.execute(server, "CREATE TABLE IF NOT EXISTS " + TABLE + " (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())");
    WriteProbe p = new WriteProbe(server, interval);
    p.thread.start();
    return p;
  }

  public List<Attempt> attempts() {
    return List.copyOf(attempts);
  }

  /** The first attempt begun after {@code sinceNanos} that failed and was followed by no commit, if the server refuses writes since. */
  public Optional<Attempt> refusingSince(long sinceNanos) {
    Attempt first = null;
    for (Attempt a : attempts) {
      if (a.startNanos() - sinceNanos < 0) {
        continue;
      }
      if (a.committed()) {
        first = null;
      } else if (first == null) {
        first = a;
      }
    }
    return Optional.ofNullable(first);
  }

  /** How many attempts begun after {@code sinceNanos} failed in a row at the end. */
  public int failuresInARowSince(long sinceNanos) {
    int n = 0;
    for (Attempt a : attempts) {
      if (a.startNanos() - sinceNanos >= 0) {
        n = a.committed() ? 0 : n + 1;
      }
    }
    return n;
  }

  /** Commits begun after {@code sinceNanos}. */
  public long commitsSince(long sinceNanos) {
    return attempts.stream().filter(a -> a.committed() && a.startNanos() - sinceNanos >= 0).count();
  }

  private void run() {
    long next = System.nanoTime();
    while (!stopping) {
      long start = System.nanoTime();
      boolean ok = writeOnce();
      attempts.add(new Attempt(start, System.nanoTime(), ok));
      next += interval.toNanos();
      long now = System.nanoTime();
      if (next - now < 0) {
        next = now;
      } else {
        LockSupport.parkNanos(next - now);
      }
    }
    closeConnection();
  }

  private boolean writeOnce() {
    try {
      if (connection == null) {
        connection = Db.connect(server);
      }
      try (Statement s = connection.createStatement()) {
        s.setQueryTimeout(5);
        s.executeUpdate("INSERT INTO " + TABLE + " DEFAULT VALUES");
      }
      return true;
    } catch (SQLException e) {
      closeConnection();
      return false;
    }
  }

  private void closeConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException e) {
        // broken already
      }
      connection = null;
    }
  }

  @Override
  public void close() throws InterruptedException {
    stopping = true;
    thread.join(Duration.ofSeconds(15).toMillis());
  }
}

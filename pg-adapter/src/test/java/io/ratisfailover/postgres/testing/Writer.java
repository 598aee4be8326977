package io.ratisfailover.postgres.testing;

import io.ratisfailover.postgres.PostgresConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * A client that writes one row every {@code interval} to whichever server currently serves as
 * primary, and remembers the outcome of every commit:
 * <ul>
 *   <li><b>acknowledged</b> — the commit returned without error or warning: it must survive (S4);
 *   <li><b>failed</b> — an error that guarantees the commit did not happen (read-only server,
 *       cancelled before committing);
 *   <li><b>indeterminate</b> — the connection broke during the commit, or a wait for a synchronous
 *       standby was cancelled (PostgreSQL then answers with a warning <em>and</em> success, and the
 *       row exists on the primary only): neither counted as acknowledged nor as failed.
 * </ul>
 */
public final class Writer implements AutoCloseable {
  public static final String TABLE = "writer_log";

  private final Source source;
  private final Duration interval;
  private final Duration commitTimeout;
  private final Thread thread;
  private final NavigableSet<Long> acknowledged = new ConcurrentSkipListSet<>();
  private final NavigableSet<Long> indeterminate = new ConcurrentSkipListSet<>();
  private final NavigableSet<Long> successTimes = new ConcurrentSkipListSet<>();
  /** When each attempt that was not acknowledged (failed or indeterminate) began. */
  private final NavigableSet<Long> refusalTimes = new ConcurrentSkipListSet<>();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong attempts = new AtomicLong();
  private volatile boolean stopping;
  private long nextId = 1;

  /**
   * @param target the server to write to now, if any serves as primary
   * @param commitTimeout after this, the client cancels its commit (the outcome is then indeterminate)
   */
  public Writer(Supplier<Optional<PostgresConfig>> target, Duration interval, Duration commitTimeout) {
    this(new ToServingPrimary(target), interval, commitTimeout);
  }

  /** A writer that takes a connection from {@code pool} for each write and knows nothing of the cluster. */
  public static Writer through(DataSource pool, Duration interval, Duration commitTimeout) {
    return new Writer(new FromPool(pool), interval, commitTimeout);
  }

  private Writer(Source source, Duration interval, Duration commitTimeout) {
    this.source = source;
    this.interval = interval;
    this.commitTimeout = commitTimeout;
    this.thread = new Thread(this::run, "test-writer");
    this.thread.setDaemon(true);
  }

  /** Creates the table the writer writes to, on the current primary. */
  public static void createTable(PostgresConfig primary) throws SQLException {
    Db.execute(primary, "CREATE TABLE IF NOT EXISTS " + TABLE + " (id bigint PRIMARY KEY, at timestamptz DEFAULT now())");
  }

  public Writer start() {
    thread.start();
    return this;
  }

  private void run() {
    long next = System.nanoTime();
    while (!stopping) {
      writeOnce();
      next += interval.toNanos();
      long now = System.nanoTime();
      if (next - now < 0) {
        next = now; // behind (a slow commit): write again at once rather than in a burst
      } else {
        LockSupport.parkNanos(next - now);
      }
    }
    source.close();
  }

  private void writeOnce() {
    long start = System.nanoTime();
    if (!acknowledgedOnce()) {
      refusalTimes.add(start);
    }
  }

  /** One attempt; whether it was acknowledged. */
  private boolean acknowledgedOnce() {
    attempts.incrementAndGet();
    Connection connection;
    try {
      connection = source.borrow();
    } catch (SQLException e) {
      failed.incrementAndGet();
      return false;
    }
    if (connection == null) {
      failed.incrementAndGet();
      return false;
    }
    long id = nextId++;
    boolean broken = false;
    try (PreparedStatement ps = connection.prepareStatement("INSERT INTO " + TABLE + " (id) VALUES (?)")) {
      ps.setQueryTimeout((int) Math.max(1, commitTimeout.toSeconds()));
      ps.setLong(1, id);
      ps.executeUpdate();
      if (warned(ps.getWarnings()) || warned(connection.getWarnings())) {
        indeterminate.add(id);
        connection.clearWarnings();
        return false;
      }
      acknowledged.add(id);
      successTimes.add(System.nanoTime());
      return true;
    } catch (SQLException e) {
      String state = e.getSQLState() == null ? "" : e.getSQLState();
      if (state.isEmpty() || state.startsWith("08") || state.startsWith("57P") || state.equals("XX000")) {
        // The connection broke or the server went away: the commit may or may not have happened.
        indeterminate.add(id);
      } else {
        failed.incrementAndGet();
      }
      broken = true;
      return false;
    } finally {
      source.release(connection, broken);
    }
  }

  private static boolean warned(SQLWarning w) {
    for (SQLWarning x = w; x != null; x = x.getNextWarning()) {
      String m = String.valueOf(x.getMessage()).toLowerCase(java.util.Locale.ROOT);
      if (m.contains("synchronous replication") || m.contains("committed locally")) {
        return true;
      }
    }
    return false;
  }

  /** Where each write gets its connection and gives it back. */
  private interface Source {
    /** A connection to write on, or null when there is nowhere to write. */
    Connection borrow() throws SQLException;

    void release(Connection connection, boolean broken);

    void close();
  }

  /** One connection of its own, to the server the test says serves as primary, replaced when that changes or breaks. */
  private static final class ToServingPrimary implements Source {
    private final Supplier<Optional<PostgresConfig>> target;
    private Connection connection;
    private PostgresConfig connectedTo;

    ToServingPrimary(Supplier<Optional<PostgresConfig>> target) {
      this.target = target;
    }

    @Override public Connection borrow() throws SQLException {
      Optional<PostgresConfig> t = target.get();
      if (t.isEmpty()) {
        return null;
      }
      if (connection == null || !t.get().equals(connectedTo)) {
        close();
        connection = Db.connect(t.get());
        connectedTo = t.get();
      }
      return connection;
    }

    @Override public void release(Connection c, boolean broken) {
      if (broken) {
        close();
      }
    }

    @Override public void close() {
      if (connection != null) {
        try {
          connection.close();
        } catch (SQLException e) {
          // broken anyway
        }
        connection = null;
        connectedTo = null;
      }
    }
  }

  /** A connection pool's, borrowed for each write: the pool alone finds the primary, as an application's would. */
  private record FromPool(DataSource pool) implements Source {
    @Override public Connection borrow() throws SQLException {
      return pool.getConnection();
    }

    @Override public void release(Connection c, boolean broken) {
      try {
        c.close();
      } catch (SQLException e) {
        // the pool evicts a broken connection itself
      }
    }

    @Override public void close() {}
  }

  @Override
  public void close() {
    stopping = true;
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // --- results ------------------------------------------------------------------------------------

  public Set<Long> acknowledged() {
    return Set.copyOf(acknowledged);
  }

  public Set<Long> indeterminate() {
    return Set.copyOf(indeterminate);
  }

  public long failed() {
    return failed.get();
  }

  public long attempts() {
    return attempts.get();
  }

  /** Waits until at least {@code count} more commits were acknowledged than now. */
  public void awaitAcknowledged(int count, Duration timeout) {
    int target = acknowledged.size() + count;
    io.ratisfailover.testing.Await.until(count + " more acknowledged writes", timeout, () -> acknowledged.size() >= target,
        () -> "acknowledged " + acknowledged.size() + ", indeterminate " + indeterminate.size() + ", failed " + failed);
  }

  /**
   * How long writes were unavailable around a fault injected at {@code faultAt} and over by
   * {@code recoveredAt} ({@link System#nanoTime()}): the longest gap between consecutive
   * acknowledged writes from the last one before the fault to the first one after recovery.
   */
  public Optional<Duration> unavailability(long faultAt, long recoveredAt) {
    Long from = successTimes.floor(faultAt);
    Long to = successTimes.ceiling(recoveredAt);
    if (to == null) {
      return Optional.empty();
    }
    long previous = from == null ? faultAt : from;
    long longest = 0;
    for (long t : successTimes.subSet(previous, false, to, true)) {
      longest = Math.max(longest, t - previous);
      previous = t;
    }
    return Optional.of(Duration.ofNanos(longest));
  }

  /** Writes acknowledged since {@code since} ({@link System#nanoTime()}). */
  public int acknowledgedSince(long since) {
    return successTimes.tailSet(since).size();
  }

  /**
   * When the server began refusing writes for good, as far as this writer has seen: the start of the
   * first attempt since {@code since} that was not acknowledged, with no acknowledged write after it.
   */
  public Optional<Long> refusingSince(long since) {
    Long lastSuccess = successTimes.isEmpty() ? null : successTimes.last();
    long from = lastSuccess == null || lastSuccess - since < 0 ? since : lastSuccess;
    return Optional.ofNullable(refusalTimes.ceiling(from));
  }

  /** Attempts refused in a row since {@code since} and the last acknowledged write. */
  public int refusedInARowSince(long since) {
    return refusingSince(since).map(first -> refusalTimes.tailSet(first).size()).orElse(0);
  }

  /**
   * The acknowledged writes missing from {@code server}. The acknowledged set is taken first: each
   * of those commits returned before the server is read, so each must be there.
   */
  public Set<Long> lostOn(PostgresConfig server) throws SQLException {
    Set<Long> acked = Set.copyOf(acknowledged);
    Set<Long> present = new TreeSet<>();
    try (Connection c = Db.connect(server); Statement s = c.createStatement();
        var r = s.executeQuery("SELECT id FROM " + TABLE)) {
      while (r.next()) {
        present.add(r.getLong(1));
      }
    }
    List<Long> lost = new ArrayList<>();
    for (long id : acked) {
      if (!present.contains(id)) {
        lost.add(id);
      }
    }
    return Set.copyOf(lost);
  }

  @Override
  public String toString() {
    return "writer: " + attempts + " attempts, " + acknowledged.size() + " acknowledged, " + indeterminate.size()
        + " indeterminate, " + failed + " failed";
  }
}

package io.ratisfailover.harness.chaos;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.locks.LockSupport;

/**
 * A client that inserts one row every {@code every} through HAProxy and files each attempt as
 * acknowledged (the commit returned), failed (it never reached a server, or a server refused it) or
 * unknown (the connection broke after the INSERT was sent: it may or may not have committed).
 */
public final class Writer implements Runnable, AutoCloseable {
  private static final String UNDEFINED_TABLE = "42P01";
  public final Set<Long> acknowledged = new ConcurrentSkipListSet<>();
  public final Set<Long> failed = new ConcurrentSkipListSet<>();
  public final Set<Long> unknown = new ConcurrentSkipListSet<>();
  private final String url;
  private final String table;
  private final String definition;
  private final Duration every;
  private final Properties props = new Properties();
  private final List<Long> successTimes = new ArrayList<>();
  private final Thread thread;
  private volatile boolean running = true;
  private long next = 1;

  /** @param table created when missing; one row per write, keyed by the write's number */
  public Writer(String url, String password, String table, Duration every) {
    this.url = url;
    this.table = table;
    this.definition = table + " (id bigint PRIMARY KEY, at timestamptz DEFAULT now())";
    this.every = every;
    props.setProperty("user", "postgres");
    props.setProperty("password", password);
    props.setProperty("connectTimeout", "1");
    props.setProperty("socketTimeout", "3");
    props.setProperty("loginTimeout", "2");
    props.setProperty("tcpKeepAlive", "true");
    thread = new Thread(this, "writer-" + table);
    thread.setDaemon(true);
  }

  /** Creates the table (retrying until HAProxy routes to a primary, at most {@code wait}) and starts writing. */
  public Writer start(Duration wait) throws SQLException {
    createTable(url, props, definition, wait);
    thread.start();
    return this;
  }

  /** {@code CREATE TABLE IF NOT EXISTS definition} at {@code url}, retrying for up to 30 s. */
  public static void createTable(String url, String password, String definition) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("password", password);
    p.setProperty("connectTimeout", "1");
    p.setProperty("socketTimeout", "3");
    createTable(url, p, definition, Duration.ofSeconds(30));
  }

  private static void createTable(String url, Properties props, String definition, Duration wait) throws SQLException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      try (Connection c = DriverManager.getConnection(url, props); Statement s = c.createStatement()) {
        s.execute("CREATE TABLE IF NOT EXISTS " + definition);
        return;
      } catch (SQLException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
      }
    }
  }

  @Override
  public void run() {
    Connection c = null;
    long due = System.nanoTime();
    while (running) {
      long id = next++;
      boolean sent = false;
      try {
        if (c == null) {
          c = DriverManager.getConnection(url, props);
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (id) VALUES (?)")) {
          ps.setLong(1, id);
          sent = true;
          ps.executeUpdate();
        }
        acknowledged.add(id);
        synchronized (successTimes) {
          successTimes.add(System.nanoTime());
        }
      } catch (SQLException e) {
        // 08xxx: the connection failed; 57P01..03: the server shut down under us. After the INSERT
        // went out, either may hide a commit; a refusal (read-only, and the like) is a plain failure.
        String state = e.getSQLState() == null ? "08000" : e.getSQLState();
        boolean broken = state.startsWith("08") || state.startsWith("57P");
        (sent && broken ? unknown : failed).add(id);
        if (UNDEFINED_TABLE.equals(state)) {
          // Asynchronous mode: a standby promoted before it received the table lost it, as it may lose
          // acknowledged writes (counted at the end). Writing goes on into a new one.
          recreateTable();
        }
        close(c);
        c = null;
      }
      due += every.toNanos();
      long sleep = due - System.nanoTime();
      if (sleep > 0) {
        LockSupport.parkNanos(sleep);
      } else {
        due = System.nanoTime();
      }
    }
    close(c);
  }

  /** The longest time between two acknowledged writes since {@code fromNanos}, in milliseconds. */
  public long longestGapSince(long fromNanos, long untilNanos) {
    synchronized (successTimes) {
      long previous = fromNanos;
      long longest = 0;
      for (long t : successTimes) {
        if (t > fromNanos && t <= untilNanos) {
          longest = Math.max(longest, t - previous);
          previous = t;
        }
      }
      return Math.max(longest, untilNanos - previous) / 1_000_000;
    }
  }

  /** When the last acknowledged write returned. */
  public long lastSuccessNanos() {
    synchronized (successTimes) {
      return successTimes.isEmpty() ? 0 : successTimes.get(successTimes.size() - 1);
    }
  }

  /** Acknowledged writes the database at {@code directUrl} does not hold (all of them if it lost the table). */
  public List<Long> lostOn(String directUrl) throws SQLException {
    Set<Long> present = new HashSet<>();
    try (Connection c = DriverManager.getConnection(directUrl, props); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id FROM " + table)) {
      while (rs.next()) {
        present.add(rs.getLong(1));
      }
    } catch (SQLException e) {
      if (!UNDEFINED_TABLE.equals(e.getSQLState())) {
        throw e;
      }
    }
    return acknowledged.stream().filter(id -> !present.contains(id)).toList();
  }

  private void recreateTable() {
    try (Connection c = DriverManager.getConnection(url, props); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS " + definition);
    } catch (SQLException e) {
      // The next write tries again.
    }
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.join(10_000);
  }

  @Override
  public String toString() {
    return acknowledged.size() + " acknowledged, " + failed.size() + " failed, " + unknown.size() + " unknown";
  }

  private static void close(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        // already broken
      }
    }
  }
}

package io.ratisfailover.postgres.testing;

import io.ratisfailover.postgres.PostgresConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/** A test's own SQL against one server, as its superuser, always with timeouts. */
public final class Db {
  private Db() {}

  public static Connection connect(PostgresConfig c) throws SQLException {
    return connect(c.localHost(), c.port(), c.superuser().user(), c.superuser().password());
  }

  public static Connection connect(String host, int port, String user, String password) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", password);
    p.setProperty("connectTimeout", "2");
    p.setProperty("loginTimeout", "2");
    p.setProperty("socketTimeout", "10");
    p.setProperty("ApplicationName", "test");
    return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/postgres", p);
  }

  /** The first column of the first row, as text (null for SQL NULL). */
  public static String value(PostgresConfig c, String sql) throws SQLException {
    try (Connection conn = connect(c); Statement s = conn.createStatement(); ResultSet r = s.executeQuery(sql)) {
      return r.next() ? r.getString(1) : null;
    }
  }

  /** Every value of the first column. */
  public static List<String> column(PostgresConfig c, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection conn = connect(c); Statement s = conn.createStatement(); ResultSet r = s.executeQuery(sql)) {
      while (r.next()) {
        out.add(r.getString(1));
      }
    }
    return out;
  }

  public static void execute(PostgresConfig c, String sql) throws SQLException {
    try (Connection conn = connect(c); Statement s = conn.createStatement()) {
      s.execute(sql);
    }
  }

  /** {@code sql}'s first value, or null when the server cannot be reached (for polling). */
  public static String valueOrNull(PostgresConfig c, String sql) {
    try {
      return value(c, sql);
    } catch (SQLException e) {
      return null;
    }
  }
}

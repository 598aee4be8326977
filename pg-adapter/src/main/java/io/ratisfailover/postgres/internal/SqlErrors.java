package io.ratisfailover.postgres.internal;

import io.ratisfailover.spi.DatabaseException;
import java.sql.SQLException;

/** Maps a JDBC failure to the kind of {@link DatabaseException} the agent acts on, by SQLSTATE class. */
public final class SqlErrors {
  private SqlErrors() {}

  public static DatabaseException.Kind kind(SQLException e) {
    String state = e.getSQLState();
    if (state == null || state.length() < 2) {
      return DatabaseException.Kind.TRANSIENT;
    }
    switch (state) {
      case "28000": // invalid_authorization_specification: no pg_hba.conf entry, role may not log in
      case "28P01": // invalid_password
        return DatabaseException.Kind.AUTHENTICATION;
      case "3D000": // invalid_catalog_name: no such database
      case "42501": // insufficient_privilege
      case "42704": // undefined_object
        return DatabaseException.Kind.MISCONFIGURED;
      case "53100": // disk_full
      case "XX001": // data_corrupted
      case "XX002": // index_corrupted
        return DatabaseException.Kind.FATAL;
      default:
        break;
    }
    switch (state.substring(0, 2)) {
      case "08": // connection exception
      case "57": // operator intervention: shutting down, starting up, cancelled
      case "53": // insufficient resources: too many connections, out of memory
      case "40": // transaction rollback: serialization, deadlock
      case "55": // object not in prerequisite state: lock not available
        return DatabaseException.Kind.TRANSIENT;
      default:
        return DatabaseException.Kind.FATAL;
    }
  }

  /** A {@link DatabaseException} saying what failed, against which server, and what the error was. */
  public static DatabaseException wrap(String what, SQLException e) {
    DatabaseException.Kind kind = kind(e);
    String hint = switch (kind) {
      case AUTHENTICATION -> ": check the user and password in the member's configuration and pg_hba.conf";
      case MISCONFIGURED -> ": check the member's configuration";
      default -> "";
    };
    return new DatabaseException(kind, what + ": " + describe(e) + hint, e);
  }

  /** The driver's message with its SQLSTATE, on one line. */
  public static String describe(SQLException e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().replace('\n', ' ').strip();
    return e.getSQLState() == null ? m : m + " [SQLSTATE " + e.getSQLState() + "]";
  }
}

package io.ratisfailover.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code patronictl query}: SQL on the primary (found by pgjdbc among the data members, as a client
 * would find it) or on one named member, with every wait bounded by {@code --timeout}.
 */
@Command(name = "query", description = "Runs SQL on the primary, or on a named member, through pgjdbc and prints the rows.")
final class QueryCommand implements Callable<Integer> {
  @ParentCommand Ctl ctl;

  static final class Sql {
    @Option(names = {"-c", "--command"}, required = true, description = "The SQL to run.") String command;
    @Option(names = "--file", required = true, description = "A file holding the SQL to run.") Path file;
  }

  @ArgGroup(exclusive = true, multiplicity = "1") Sql sql;
  @Option(names = {"-m", "--member"}, description = "The member to run it on (default: whichever is primary).") String member;
  @Option(names = {"-r", "--role"}, description = "Without --member: primary, replica or any (default: ${DEFAULT-VALUE}).",
      defaultValue = "primary") Dsn.Target role;
  @Option(names = {"-d", "--dbname"}, description = "The database (default: ${DEFAULT-VALUE}).", defaultValue = "postgres") String dbname;
  @Option(names = "--db-user", description = "The database user (default: $PGUSER, else postgres).") String user;
  @Option(names = "--db-password", description = "Its password (default: $PGPASSWORD, else ~/.pgpass).") String password;

  @Override public Integer call() throws IOException {
    String text = sql.command != null ? sql.command : Files.readString(sql.file);
    JsonNode cluster = ctl.client().get("/cluster").body();
    List<Members.Member> targets = member == null ? Members.databases(cluster) : Members.selected(cluster, List.of(member));
    String url = Dsn.jdbc(targets, member == null ? role : Dsn.Target.any, dbname, Optional.empty());
    Map<String, String> env = System.getenv();
    Properties p = new Properties();
    p.setProperty("user", user != null ? user : env.getOrDefault("PGUSER", "postgres"));
    Optional.ofNullable(password != null ? password : env.get("PGPASSWORD")).ifPresent(pw -> p.setProperty("password", pw));
    String seconds = Integer.toString(ctl.timeoutSeconds);
    p.setProperty("connectTimeout", seconds);
    p.setProperty("loginTimeout", seconds);
    p.setProperty("socketTimeout", seconds);
    p.setProperty("ApplicationName", "rfctl");
    String where = member != null ? member : "the " + role;
    try (Connection c = DriverManager.getConnection(url, p); Statement s = c.createStatement()) {
      s.setQueryTimeout(ctl.timeoutSeconds);
      if (s.execute(text)) {
        try (ResultSet r = s.getResultSet()) {
          print(r);
        }
      } else {
        System.out.println(s.getUpdateCount() < 0 ? "done" : s.getUpdateCount() + " rows affected");
      }
    } catch (SQLException e) {
      throw new CtlException("query on " + where + " failed: " + e.getMessage().strip()
          + (e.getSQLState() == null ? "" : " (SQLSTATE " + e.getSQLState() + ")"));
    }
    return 0;
  }

  private void print(ResultSet r) throws SQLException {
    ResultSetMetaData meta = r.getMetaData();
    List<String> columns = new ArrayList<>();
    for (int i = 1; i <= meta.getColumnCount(); i++) {
      columns.add(meta.getColumnLabel(i));
    }
    Table t = new Table(columns);
    ArrayNode json = Ctl.JSON.createArrayNode();
    while (r.next()) {
      List<String> row = new ArrayList<>();
      ObjectNode o = json.addObject();
      for (int i = 1; i <= columns.size(); i++) {
        String v = r.getString(i);
        row.add(v == null ? "" : v);
        o.put(columns.get(i - 1), v);
      }
      t.add(row);
    }
    ctl.print(json, t.render(null));
  }
}

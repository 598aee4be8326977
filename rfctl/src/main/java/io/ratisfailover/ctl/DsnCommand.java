package io.ratisfailover.ctl;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "dsn", description = "Prints libpq and pgjdbc multi-host connection strings that follow the primary"
    + " (or the standbys) without a proxy, built from the cluster's data members.")
final class DsnCommand implements Callable<Integer> {
  @ParentCommand Ctl ctl;
  @Option(names = {"-r", "--role"}, description = "primary, replica or any (default: ${DEFAULT-VALUE}).", defaultValue = "primary")
  Dsn.Target role;
  @Option(names = {"-d", "--dbname"}, description = "The database (default: ${DEFAULT-VALUE}).", defaultValue = "postgres")
  String dbname;
  @Option(names = "--db-user", description = "The user to connect as (default: none in the string).") String user;

  @Override public Integer call() {
    List<Members.Member> members = Members.databases(ctl.client().get("/cluster").body());
    String libpq = Dsn.libpq(members, role, dbname, Optional.ofNullable(user));
    String jdbc = Dsn.jdbc(members, role, dbname, Optional.ofNullable(user));
    ObjectNode json = Ctl.JSON.createObjectNode().put("libpq", libpq).put("jdbc", jdbc);
    members.forEach(m -> json.withArray("members").add(m.name()));
    ctl.print(json, libpq + "\n" + jdbc);
    return 0;
  }
}

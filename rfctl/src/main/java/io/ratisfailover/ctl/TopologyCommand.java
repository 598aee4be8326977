package io.ratisfailover.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code patronictl topology}: the primary, the standbys that stream from it below it, then the
 * members that follow nobody (witnesses, standbys waiting for a primary). Every standby streams from
 * the primary: there is no cascading replication.
 */
@Command(name = "topology", description = "Shows the members as a replication tree: the primary, its standbys, the witnesses.")
final class TopologyCommand implements Callable<Integer> {
  @ParentCommand Ctl ctl;

  @Override public Integer call() {
    JsonNode cluster = ctl.client().get("/cluster").body();
    List<Members.Member> members = Members.of(cluster);
    List<Members.Member> primaries = members.stream().filter(Members.Member::isPrimary).toList();
    Table t = new Table(List.of("Member", "Host", "Role", "State", "TL", "Lag in MB"));
    ObjectNode json = Ctl.JSON.createObjectNode().put("scope", Ctl.text(cluster, "scope"));
    ArrayNode tree = json.putArray("topology");
    for (Members.Member p : primaries) {
      t.add(row(p, ""));
      ObjectNode node = tree.addObject().setAll((ObjectNode) p.document().deepCopy());
      ArrayNode replicas = node.putArray("replicas");
      for (Members.Member r : members) {
        if (r.isData() && !r.isPrimary()) {
          t.add(row(r, "+ "));
          replicas.add(r.document());
        }
      }
    }
    for (Members.Member m : members) {
      boolean shown = m.isPrimary() || (!primaries.isEmpty() && m.isData());
      if (!shown) {
        t.add(row(m, ""));
        tree.add(m.document());
      }
    }
    ctl.print(json, t.render("Cluster: " + Ctl.text(cluster, "scope") + " (epoch " + Ctl.text(cluster, "epoch") + ")"));
    return 0;
  }

  private static List<String> row(Members.Member m, String indent) {
    JsonNode d = m.document();
    String host = m.host().map(h -> h + m.port().map(p -> ":" + p).orElse("")).orElse("");
    return List.of(indent + m.name(), host, Ctl.title(m.role()), Ctl.text(d, "state"), Ctl.text(d, "timeline"),
        Ctl.lagInMb(d));
  }
}

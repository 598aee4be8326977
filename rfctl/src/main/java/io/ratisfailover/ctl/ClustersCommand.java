package io.ratisfailover.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * Lists every cluster a witness serves on its one HTTP port ({@code api_listen}); the other commands
 * reach one of them with {@code --url http://witness:8008/cluster/NAME}.
 */
@Command(name = "clusters", description = "Lists the clusters a witness serves (its api_listen port): primary, epoch,"
    + " Raft leader, members reporting, lag and health.")
final class ClustersCommand implements Callable<Integer> {
  @ParentCommand Ctl ctl;

  @Override public Integer call() {
    JsonNode clusters = ctl.client().get("/clusters").body();
    Table t = new Table(List.of("Cluster", "Primary", "Epoch", "Raft leader", "Term", "Reporting", "Max lag", "Health"));
    boolean allHealthy = true;
    for (JsonNode c : clusters) {
      t.add(List.of(Ctl.text(c, "name"), Ctl.text(c, "primary"), Ctl.text(c, "epoch"), Ctl.text(c, "raft_leader"),
          Ctl.text(c, "raft_term"), Ctl.text(c, "members_reporting") + "/" + Ctl.text(c, "members"),
          Ctl.text(c, "max_lag_bytes"), Ctl.text(c, "health")));
      allHealthy &= Ctl.text(c, "health").equals("healthy");
    }
    ctl.print(clusters, t.render(null));
    // Scripts can alert on the exit code alone.
    return allHealthy ? 0 : 2;
  }
}

package io.ratisfailover.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code patronictl list}: one row per member, once or redrawn with {@code --watch} until
 * interrupted.
 */
@Command(name = "list", description = "Shows the members, their roles, states, timelines and lag.")
final class ListCommand implements Callable<Integer> {
  @ParentCommand Ctl ctl;
  @Option(names = {"-w", "--watch"}, description = "Redraw every N seconds until interrupted (Ctrl-C).") Double watch;

  @Override public Integer call() {
    if (watch == null) {
      draw();
      return 0;
    }
    if (!(watch > 0)) {
      throw new CtlException("--watch takes a number of seconds above 0, not " + watch);
    }
    boolean terminal = System.console() != null;
    while (!Thread.currentThread().isInterrupted()) {
      // A terminal is cleared and redrawn in place; a pipe or a file gets one block per round.
      System.out.print(terminal ? "\033[H\033[2J" : "");
      System.out.println(ZonedDateTime.now().withNano(0));
      try {
        draw();
      } catch (CtlException e) {
        // A member going away mid-watch is what one watches for: say so and keep watching.
        System.out.println("rfctl: " + e.getMessage());
      }
      try {
        Thread.sleep((long) (watch * 1000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return 0;
  }

  private void draw() {
    JsonNode cluster = ctl.client().get("/cluster").body();
    // As patronictl: the column appears only when some member has a pending restart.
    boolean pending = false;
    for (JsonNode m : cluster.path("members")) {
      pending |= m.path("pending_restart").asBoolean(false);
    }
    List<String> columns = new ArrayList<>(List.of("Member", "Host", "Role", "State", "TL", "Receive LSN",
        "Replay LSN", "Lag in MB"));
    if (pending) {
      columns.add("Pending restart");
    }
    Table t = new Table(columns);
    for (JsonNode m : cluster.path("members")) {
      String host = Ctl.text(m, "host") + (m.has("port") ? ":" + Ctl.text(m, "port") : "");
      List<String> row = new ArrayList<>(List.of(Ctl.text(m, "name"), host, Ctl.title(Ctl.text(m, "role")),
          Ctl.text(m, "state"), Ctl.text(m, "timeline"), Ctl.text(m, "receive_lsn"), Ctl.text(m, "replay_lsn"),
          Ctl.lagInMb(m)));
      if (pending) {
        row.add(m.path("pending_restart").asBoolean(false) ? "*" : "");
      }
      t.add(row);
    }
    String name = Ctl.text(cluster, "scope").isEmpty() ? Ctl.text(cluster, "cluster") : Ctl.text(cluster, "scope");
    String title = "Cluster: " + name + (cluster.has("epoch") ? " (epoch " + Ctl.text(cluster, "epoch") + ")" : "")
        + (cluster.path("pause").asBoolean(false) ? " [paused]" : "");
    ctl.print(cluster, t.render(title));
  }
}

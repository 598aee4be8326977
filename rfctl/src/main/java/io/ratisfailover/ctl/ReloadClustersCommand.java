package io.ratisfailover.ctl;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** Makes a witness re-read its configuration, as SIGHUP does: clusters added, removed or restarted. */
@Command(name = "reload-clusters", description = "Makes a witness re-read its configuration file: new clusters start,"
    + " removed ones stop, changed ones restart, the others run on undisturbed.")
final class ReloadClustersCommand implements Callable<Integer> {
  @ParentCommand Ctl ctl;

  @Override public Integer call() {
    Ctl.report(ctl.client().send("POST", "/clusters/reload", Ctl.JSON.createObjectNode()), "reloaded");
    return 0;
  }
}

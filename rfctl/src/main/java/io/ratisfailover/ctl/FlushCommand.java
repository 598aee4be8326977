package io.ratisfailover.ctl;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code patronictl flush switchover}. Patroni also flushes scheduled restarts; here a restart runs
 * at once or not at all, so there is nothing else to flush.
 */
@Command(name = "flush", description = "Cancels the scheduled switchover.")
final class FlushCommand implements Callable<Integer> {
  /** What can be scheduled, and so cancelled. */
  enum Target { switchover }

  @ParentCommand Ctl ctl;
  @Parameters(index = "0", description = "What to cancel: ${COMPLETION-CANDIDATES} (restarts cannot be scheduled).")
  Target target;

  @Override public Integer call() {
    ApiClient client = ctl.client();
    if (!client.get("/cluster").body().has("scheduled_switchover")) {
      System.out.println("no switchover is scheduled");
      return 0;
    }
    Ctl.report(client.send("DELETE", "/switchover", null), "scheduled switchover cancelled");
    return 0;
  }
}

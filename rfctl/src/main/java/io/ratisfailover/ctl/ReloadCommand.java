package io.ratisfailover.ctl;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "reload", description = "Makes members' PostgreSQL re-read its configuration files (every data member,"
    + " or those named).")
final class ReloadCommand implements Callable<Integer> {
  @ParentCommand Ctl ctl;
  @Parameters(arity = "0..*", description = "The members (default: every data member).") List<String> members = new ArrayList<>();

  @Override public Integer call() {
    ApiClient client = ctl.client();
    int failed = 0;
    for (Members.Member m : Members.selected(client.get("/cluster").body(), members)) {
      try {
        ApiClient.Answer answer = client.sendTo(m.api(), "POST", "/reload", Ctl.JSON.createObjectNode());
        String message = Ctl.text(answer.body(), "message");
        System.out.println(m.name() + ": " + (message.isEmpty() ? "reloaded" : message));
      } catch (CtlException e) {
        System.err.println("rfctl: " + m.name() + ": " + e.getMessage());
        failed++;
      }
    }
    return failed == 0 ? 0 : 1;
  }
}

package io.ratisfailover.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "version", description = "Shows rfctl's version and the version each member runs.")
final class VersionCommand implements Callable<Integer> {
  @ParentCommand Ctl ctl;
  @Parameters(arity = "0..*", description = "The members (default: every member).") List<String> members = new ArrayList<>();

  /** The version in rfctl's jar manifest. */
  static String own() {
    String v = VersionCommand.class.getPackage().getImplementationVersion();
    return v == null ? "unknown (not run from its jar)" : v;
  }

  /** For {@code rfctl --version}. */
  static final class Provider implements IVersionProvider {
    @Override public String[] getVersion() {
      return new String[] {"rfctl " + own()};
    }
  }

  @Override public Integer call() {
    ApiClient client = ctl.client();
    JsonNode cluster = client.get("/cluster").body();
    List<Members.Member> targets = members.isEmpty() ? Members.of(cluster) : Members.selected(cluster, members);
    ObjectNode json = Ctl.JSON.createObjectNode().put("rfctl", own());
    ObjectNode versions = json.putObject("members");
    StringBuilder text = new StringBuilder("rfctl " + own());
    for (Members.Member m : targets) {
      String line;
      try {
        String version = Ctl.text(client.sendTo(m.api(), "GET", "/patroni", null).body().path("patroni"), "version");
        version = version.isEmpty() ? "unknown" : version;
        versions.put(m.name(), version);
        line = "ratis-failover " + version;
      } catch (CtlException e) {
        versions.putNull(m.name());
        line = "unreachable: " + e.getMessage();
      }
      text.append("\n").append(m.name()).append(": ").append(line);
    }
    ctl.print(json, text.toString());
    return 0;
  }
}

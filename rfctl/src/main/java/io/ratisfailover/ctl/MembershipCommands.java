package io.ratisfailover.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * Membership changes through Raft reconfiguration: {@code add-member}, {@code remove} and
 * {@code replace}. Each prints the group's voters afterwards. A change that did not complete (a
 * fault in the middle) is finished by running the same command again.
 */
final class MembershipCommands {
  private MembershipCommands() {}

  /** The member kinds, as the API names them. */
  enum Kind { data, witness }

  @Command(name = "add-member", description = "Adds a data member or witness to the Raft group. Start the new member"
      + " first (its peers list includes it); it waits outside the group until added, then catches up from the log"
      + " or a snapshot before its vote counts. Raise --timeout when catching up takes long.")
  static final class Add implements Callable<Integer> {
    @ParentCommand Ctl ctl;
    @Parameters(index = "0", description = "The new member's id.") String member;
    @Option(names = "--kind", required = true, description = "${COMPLETION-CANDIDATES}.") Kind kind;
    @Option(names = "--raft-address", required = true, description = "host:port of its Raft server.") String raftAddress;

    @Override public Integer call() {
      print(ctl, ctl.client().send("POST", "/members", body(member, kind, raftAddress)), "added " + member);
      return 0;
    }
  }

  @Command(name = "remove", description = "Removes a member from the group: it is never elected again, its agent stops"
      + " and keeps its database fenced, and its vote goes. Refused for the primary (switch over first), for a member"
      + " not in the group, and when fewer than 3 voters would remain.")
  static final class Remove implements Callable<Integer> {
    @ParentCommand Ctl ctl;
    @Parameters(index = "0", description = "The member to remove.") String member;

    @Override public Integer call() {
      print(ctl, ctl.client().send("DELETE", "/members/" + member, null), "removed " + member);
      return 0;
    }
  }

  @Command(name = "replace", description = "Adds a new member, then removes the old one: the group never has fewer"
      + " voters than before. Start the new member first, as for add-member.")
  static final class Replace implements Callable<Integer> {
    @ParentCommand Ctl ctl;
    @Parameters(index = "0", description = "The member to replace.") String old;
    @Parameters(index = "1", description = "The new member's id.") String member;
    @Option(names = "--kind", required = true, description = "${COMPLETION-CANDIDATES}.") Kind kind;
    @Option(names = "--raft-address", required = true, description = "host:port of its Raft server.") String raftAddress;

    @Override public Integer call() {
      ObjectNode body = body(member, kind, raftAddress).put("replaces", old);
      print(ctl, ctl.client().send("POST", "/members", body), "replaced " + old + " with " + member);
      return 0;
    }
  }

  private static ObjectNode body(String member, Kind kind, String raftAddress) {
    return Ctl.JSON.createObjectNode().put("member", member).put("kind", kind.name().toLowerCase(Locale.ROOT))
        .put("raft_address", raftAddress);
  }

  private static void print(Ctl ctl, ApiClient.Answer answer, String otherwise) {
    JsonNode body = answer.body();
    List<String> voters = new ArrayList<>();
    body.path("voters").forEach(v -> voters.add(v.asText()));
    String message = Ctl.text(body, "message");
    ctl.print(body, (message.isEmpty() ? otherwise : message) + "; voters: " + String.join(", ", voters));
  }
}

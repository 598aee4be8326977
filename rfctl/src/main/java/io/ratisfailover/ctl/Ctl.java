package io.ratisfailover.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code rfctl} — what {@code patronictl} is to Patroni: lists the cluster, switches over, fails
 * over, pauses, shows history and configuration, restarts, reloads and reinitializes members, adds,
 * removes and replaces members, prints
 * connection strings and runs SQL. Talks to any member's HTTP API; {@code query} alone also
 * connects to PostgreSQL.
 */
@Command(name = "rfctl", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
    description = "Controls a ratis-failover cluster through its members' HTTP API.",
    subcommands = {ListCommand.class, TopologyCommand.class, Ctl.Switchover.class, Ctl.Failover.class,
        FlushCommand.class, ConfigCommands.Pause.class, ConfigCommands.Resume.class, Ctl.History.class,
        ConfigCommands.ShowConfig.class, ConfigCommands.EditConfig.class, Ctl.Restart.class, ReloadCommand.class,
        Ctl.Reinit.class, QueryCommand.class, DsnCommand.class, VersionCommand.class, ClustersCommand.class,
        ReloadClustersCommand.class,
        MembershipCommands.Add.class, MembershipCommands.Remove.class, MembershipCommands.Replace.class})
public final class Ctl {
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER));

  enum Format { table, json, yaml }

  @Option(names = {"-u", "--url"}, split = ",", description = "Members' API URLs, tried in turn (default: $RFCTL_URL or http://127.0.0.1:8008).")
  List<String> urls = new ArrayList<>();

  @Option(names = "--username", description = "Admin user for changes (default: $RFCTL_USERNAME).")
  String username;

  @Option(names = "--password", description = "Admin password (default: $RFCTL_PASSWORD).")
  String password;

  @Option(names = "--cacert", description = "PEM certificates of the CA that signed the members' API certificates"
      + " (default: $RFCTL_CACERT, else the JDK's trust store).")
  Path caCertificate;

  @Option(names = "--cert", description = "PEM client certificate, for APIs that verify clients (default: $RFCTL_CERT).")
  Path clientCertificate;

  @Option(names = "--key", description = "Its unencrypted PKCS#8 PEM key (default: $RFCTL_KEY).")
  Path clientKey;

  @Option(names = {"-f", "--format"}, description = "table, json or yaml (default: ${DEFAULT-VALUE}).", defaultValue = "table")
  Format format;

  @Option(names = "--timeout", description = "Per-request timeout in seconds (default: ${DEFAULT-VALUE}).", defaultValue = "10")
  int timeoutSeconds;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs one command as {@code main} would, returning its exit code instead of exiting. */
  public static int run(String... args) {
    CommandLine cli = new CommandLine(new Ctl()).setCaseInsensitiveEnumValuesAllowed(true);
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof CtlException) {
        cmd.getErr().println("rfctl: " + e.getMessage());
        return 1;
      }
      throw e;
    });
    return cli.execute(args);
  }

  ApiClient client() {
    Map<String, String> env = System.getenv();
    List<String> targets = !urls.isEmpty() ? urls
        : List.of(env.getOrDefault("RFCTL_URL", "http://127.0.0.1:8008").split(","));
    ClientTls tls = new ClientTls(path(caCertificate, env.get("RFCTL_CACERT")),
        path(clientCertificate, env.get("RFCTL_CERT")), path(clientKey, env.get("RFCTL_KEY")));
    return new ApiClient(targets, Optional.ofNullable(username != null ? username : env.get("RFCTL_USERNAME")),
        Optional.ofNullable(password != null ? password : env.get("RFCTL_PASSWORD")), Duration.ofSeconds(timeoutSeconds),
        tls.configured() ? Optional.of(tls.context()) : Optional.empty());
  }

  private static Optional<Path> path(Path option, String environment) {
    return option != null ? Optional.of(option)
        : Optional.ofNullable(environment).filter(e -> !e.isBlank()).map(Path::of);
  }

  void print(JsonNode json, String table) {
    try {
      switch (format) {
        case json: System.out.println(JSON.writeValueAsString(json)); break;
        case yaml: System.out.print(YAML.writeValueAsString(json)); break;
        default: System.out.println(table);
      }
    } catch (IOException e) {
      throw new CtlException("cannot print: " + e.getMessage());
    }
  }

  static String text(JsonNode n, String key) {
    JsonNode v = n.get(key);
    return v == null || v.isNull() ? "" : v.asText();
  }

  static String title(String s) {
    String t = s.replace('_', ' ');
    return t.isEmpty() ? t : t.substring(0, 1).toUpperCase(Locale.ROOT) + t.substring(1);
  }

  /** Prints the answer's message, or the given text when it has none. */
  static void report(ApiClient.Answer answer, String otherwise) {
    String message = text(answer.body(), "message");
    System.out.println(message.isEmpty() ? otherwise : message);
  }

  /** A member's lag in MB with one decimal, or its text when it is not a number ("unknown"). */
  static String lagInMb(JsonNode member) {
    JsonNode lag = member.get("lag");
    return lag == null || lag.isNull() ? "" : lag.isNumber()
        ? String.format(Locale.ROOT, "%.1f", lag.asLong() / 1048576.0) : lag.asText();
  }

  @Command(name = "switchover", description = "Hands the primary role over, now or at a scheduled time.")
  static final class Switchover implements Callable<Integer> {
    @ParentCommand Ctl ctl;
    @Option(names = "--leader", description = "The current primary (refused if another member is).") String leader;
    @Option(names = "--primary", hidden = true) String primary;
    @Option(names = "--candidate", description = "The member to promote (default: the best one).") String candidate;
    @Option(names = "--scheduled", description = "When, as an ISO-8601 time such as 2026-12-01T03:00:00Z.") String scheduled;
    @Option(names = "--force", description = "Accepted for patronictl compatibility; there is no prompt.") boolean force;

    @Override public Integer call() {
      ObjectNode body = JSON.createObjectNode();
      Optional.ofNullable(leader != null ? leader : primary).ifPresent(l -> body.put("leader", l));
      Optional.ofNullable(candidate).ifPresent(c -> body.put("candidate", c));
      Optional.ofNullable(scheduled).ifPresent(s -> body.put("scheduled_at", s));
      ApiClient.Answer answer = ctl.client().send("POST", "/switchover", body);
      report(answer, answer.status() == 202 ? "switchover scheduled" : "switchover done");
      return 0;
    }
  }

  @Command(name = "failover", description = "Makes the named member primary, whether or not the current one is healthy.")
  static final class Failover implements Callable<Integer> {
    @ParentCommand Ctl ctl;
    @Option(names = "--candidate", required = true, description = "The member to promote.") String candidate;
    @Option(names = "--force", description = "Accepted for patronictl compatibility; there is no prompt.") boolean force;

    @Override public Integer call() {
      ObjectNode body = JSON.createObjectNode().put("candidate", candidate);
      report(ctl.client().send("POST", "/failover", body), "failover to " + candidate + " done");
      return 0;
    }
  }

  @Command(name = "history", description = "Shows the cluster's epochs: who was promoted, when and why.")
  static final class History implements Callable<Integer> {
    @ParentCommand Ctl ctl;

    @Override public Integer call() {
      JsonNode history = ctl.client().get("/history").body();
      Table t = new Table(List.of("TL", "LSN", "Reason", "Timestamp", "New Leader", "Epoch"));
      for (JsonNode h : history) {
        if (h.isArray()) {
          t.add(List.of(h.path(0).asText(), h.path(1).asText(), h.path(2).asText(), h.path(3).asText(),
              h.path(4).asText(), h.size() > 5 ? h.path(5).asText() : ""));
        } else {
          t.add(List.of(text(h, "timeline"), text(h, "lsn"), text(h, "reason"), text(h, "timestamp"),
              text(h, "new_leader"), text(h, "epoch")));
        }
      }
      ctl.print(history, t.render(null));
      return 0;
    }
  }

  @Command(name = "restart", description = "Restarts members' PostgreSQL in their current roles: those named, or with"
      + " --pending every data member (or every one named) that has a pending restart.")
  static final class Restart implements Callable<Integer> {
    @ParentCommand Ctl ctl;
    @Parameters(arity = "0..*", description = "The members (with --pending, default: every data member).")
    List<String> members = new ArrayList<>();
    @Option(names = "--pending", description = "Only members whose PostgreSQL has a setting waiting for a restart.")
    boolean pending;

    @Override public Integer call() {
      if (members.isEmpty() && !pending) {
        throw new CtlException("name the members to restart, or give --pending to restart those with a pending restart");
      }
      ApiClient client = ctl.client();
      List<Members.Member> chosen = Members.selected(client.get("/cluster").body(), members).stream()
          .filter(m -> !pending || m.document().path("pending_restart").asBoolean(false)).toList();
      if (chosen.isEmpty()) {
        System.out.println("no member has a pending restart");
        return 0;
      }
      ObjectNode body = JSON.createObjectNode();
      if (pending) {
        // The member checks again: it restarts only if the restart is still pending when asked.
        body.put("restart_pending", true);
      }
      int failed = 0;
      for (Members.Member m : chosen) {
        try {
          String message = text(client.sendTo(m.api(), "POST", "/restart", body).body(), "message");
          System.out.println(m.name() + ": " + (message.isEmpty() ? "restarted" : message));
        } catch (CtlException e) {
          System.err.println("rfctl: " + m.name() + ": " + e.getMessage());
          failed++;
        }
      }
      return failed == 0 ? 0 : 1;
    }
  }

  @Command(name = "reinit", description = "Throws a standby's data away and clones it afresh from the primary.")
  static final class Reinit implements Callable<Integer> {
    @ParentCommand Ctl ctl;
    @Parameters(index = "0", description = "The member.") String member;

    @Override public Integer call() {
      ApiClient client = ctl.client();
      report(client.sendTo(apiUrl(client, member), "POST", "/reinitialize", JSON.createObjectNode()),
          member + " reinitialized");
      return 0;
    }
  }

  /** The API URL a member published, from {@code /cluster}. */
  static String apiUrl(ApiClient client, String member) {
    return Members.selected(client.get("/cluster").body(), List.of(member)).get(0).api();
  }
}

package io.ratisfailover.ctl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * The cluster-wide dynamic configuration through {@code /config}: {@code pause} and {@code resume}
 * (maintenance mode), {@code show-config} and {@code edit-config}.
 */
final class ConfigCommands {
  private ConfigCommands() {}

  @Command(name = "pause", description = "Maintenance mode: no automatic failover or database action.")
  static final class Pause implements Callable<Integer> {
    @ParentCommand Ctl ctl;

    @Override public Integer call() {
      ctl.client().send("PATCH", "/config", Ctl.JSON.createObjectNode().put("pause", true));
      System.out.println("paused: no automatic failover until 'rfctl resume'");
      return 0;
    }
  }

  @Command(name = "resume", description = "Leaves maintenance mode.")
  static final class Resume implements Callable<Integer> {
    @ParentCommand Ctl ctl;

    @Override public Integer call() {
      ctl.client().send("PATCH", "/config", Ctl.JSON.createObjectNode().put("pause", false));
      System.out.println("resumed");
      return 0;
    }
  }

  @Command(name = "show-config", description = "Shows the cluster-wide dynamic configuration.")
  static final class ShowConfig implements Callable<Integer> {
    @ParentCommand Ctl ctl;

    @Override public Integer call() throws IOException {
      JsonNode config = ctl.client().get("/config").body();
      ctl.print(config, Ctl.YAML.writeValueAsString(config).strip());
      return 0;
    }
  }

  @Command(name = "edit-config", description = "Changes the dynamic configuration: --set key=value, or --apply a YAML file.")
  static final class EditConfig implements Callable<Integer> {
    @ParentCommand Ctl ctl;
    @Option(names = {"-s", "--set"}, description = "key=value; values read as JSON when they are (numbers, true, null).") List<String> sets = new ArrayList<>();
    @Option(names = "--apply", description = "A YAML file with the keys to change.") Path apply;

    @Override public Integer call() throws IOException {
      ObjectNode patch = Ctl.JSON.createObjectNode();
      if (apply != null) {
        JsonNode file = Ctl.YAML.readTree(apply.toFile());
        if (!file.isObject()) {
          throw new CtlException(apply + " must hold a mapping of keys");
        }
        patch.setAll((ObjectNode) file);
      }
      for (String s : sets) {
        int eq = s.indexOf('=');
        if (eq <= 0) {
          throw new CtlException("--set '" + s + "' is not of the form key=value");
        }
        String value = s.substring(eq + 1);
        JsonNode parsed;
        try {
          parsed = Ctl.JSON.readTree(value);
        } catch (IOException e) {
          parsed = Ctl.JSON.getNodeFactory().textNode(value);
        }
        put(patch, s.substring(0, eq), parsed == null ? Ctl.JSON.getNodeFactory().textNode(value) : parsed);
      }
      if (patch.isEmpty()) {
        throw new CtlException("nothing to change: give --set key=value or --apply file.yml");
      }
      JsonNode applied = ctl.client().send("PATCH", "/config", patch).body();
      ctl.print(applied, Ctl.YAML.writeValueAsString(applied).strip());
      return 0;
    }

    /**
     * A dotted key as nested mappings: {@code postgresql.parameters.work_mem} sets {@code work_mem}
     * under {@code postgresql.parameters}. A parameter's name keeps its own dots
     * ({@code postgresql.parameters.auto_explain.log_min_duration}).
     */
    static void put(ObjectNode patch, String key, JsonNode value) {
      String prefix = "postgresql.parameters.";
      List<String> path = key.startsWith(prefix) && key.length() > prefix.length()
          ? List.of("postgresql", "parameters", key.substring(prefix.length())) : List.of(key.split("\\.", -1));
      ObjectNode node = patch;
      for (String part : path.subList(0, path.size() - 1)) {
        JsonNode child = node.get(part);
        if (child == null || !child.isObject()) {
          child = node.putObject(part);
        }
        node = (ObjectNode) child;
      }
      node.set(path.get(path.size() - 1), value);
    }
  }
}

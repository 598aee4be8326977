package io.ratisfailover.node.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * {@code callbacks:} — Patroni's callbacks, one command per action, plus the time each may run:
 *
 * <pre>
 * callbacks:
 *   on_role_change: /usr/local/bin/move-vip --interface eth0
 *   on_start: /usr/local/bin/notify
 *   timeout: 30s
 * </pre>
 *
 * A command is split on spaces and run without a shell; a program named by a path must exist and
 * be executable.
 */
public record CallbacksSection(String onStart, String onStop, String onRestart, String onReload, String onRoleChange,
    String timeout) {

  public Callbacks toCallbacks(String at) {
    Map<Callbacks.Action, List<String>> commands = new EnumMap<>(Callbacks.Action.class);
    put(commands, at, Callbacks.Action.ON_START, onStart);
    put(commands, at, Callbacks.Action.ON_STOP, onStop);
    put(commands, at, Callbacks.Action.ON_RESTART, onRestart);
    put(commands, at, Callbacks.Action.ON_RELOAD, onReload);
    put(commands, at, Callbacks.Action.ON_ROLE_CHANGE, onRoleChange);
    Duration limit = Values.duration(at + ".timeout", timeout);
    return Values.checked(at + ".timeout",
        () -> new Callbacks(commands, limit == null ? Callbacks.DEFAULT_TIMEOUT : limit));
  }

  private static void put(Map<Callbacks.Action, List<String>> commands, String at, Callbacks.Action action,
      String command) {
    if (command == null) {
      return;
    }
    String key = at + "." + action.key();
    List<String> words = Arrays.stream(command.trim().split("\\s+")).filter(w -> !w.isEmpty()).toList();
    if (words.isEmpty()) {
      throw ConfigException.at(key, "is empty; leave the key out to run nothing");
    }
    String program = words.get(0);
    // A bare name is looked up on the PATH when it runs; a path must be right now.
    if (program.contains("/") && !Files.isExecutable(Path.of(program))) {
      throw ConfigException.at(key, program + " does not exist or is not executable");
    }
    commands.put(action, words);
  }
}

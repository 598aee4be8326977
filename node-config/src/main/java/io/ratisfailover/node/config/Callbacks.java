package io.ratisfailover.node.config;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The commands a data member runs when its PostgreSQL starts, stops, restarts or reloads, or when its
 * role changes, as Patroni runs its callbacks: the command's words followed by three arguments, the
 * action ({@code on_role_change}), the role ({@code primary}, {@code replica}, {@code demoted}) and
 * the cluster's name.
 *
 * @param commands each action's command, split into words (no shell)
 * @param timeout how long one command may run before it is killed
 */
public record Callbacks(Map<Action, List<String>> commands, Duration timeout) {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  public static final Callbacks NONE = new Callbacks(Map.of(), DEFAULT_TIMEOUT);

  /** When a command runs; {@link #key()} is its YAML key and its first argument. */
  public enum Action {
    ON_START("on_start"),
    ON_STOP("on_stop"),
    ON_RESTART("on_restart"),
    ON_RELOAD("on_reload"),
    ON_ROLE_CHANGE("on_role_change");

    private final String key;

    Action(String key) {
      this.key = key;
    }

    public String key() {
      return key;
    }
  }

  public Callbacks {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, not " + timeout);
    }
    EnumMap<Action, List<String>> copy = new EnumMap<>(Action.class);
    commands.forEach((action, words) -> {
      if (words.isEmpty()) {
        throw new IllegalArgumentException(action.key() + " has no command");
      }
      copy.put(action, List.copyOf(words));
    });
    commands = Collections.unmodifiableMap(copy);
  }

  public Optional<List<String>> command(Action action) {
    return Optional.ofNullable(commands.get(action));
  }
}

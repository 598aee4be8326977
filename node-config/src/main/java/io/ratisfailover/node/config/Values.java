package io.ratisfailover.node.config;

import io.ratisfailover.SettingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Conversions of configuration values, each failing with the key it was read from. */
public final class Values {
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");

  private Values() {}

  /** {@code 500ms}, {@code 3s}, {@code 2m}, {@code 1h}. */
  public static Duration duration(String key, String text) {
    if (text == null) {
      return null;
    }
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw ConfigException.at(key, "'" + text + "' is not a duration such as 500ms, 3s, 2m or 1h");
    }
    long n = Long.parseLong(m.group(1));
    switch (m.group(2)) {
      case "ms": return Duration.ofMillis(n);
      case "s": return Duration.ofSeconds(n);
      case "m": return Duration.ofMinutes(n);
      default: return Duration.ofHours(n);
    }
  }

  /** A size such as {@code 1048576}, {@code 512kB}, {@code 16MB} or {@code 1GB}, in bytes. */
  public static long bytes(String key, String text) {
    Matcher m = Pattern.compile("(\\d+)\\s*(B|kB|KB|MB|GB)?").matcher(text.trim());
    if (!m.matches()) {
      throw ConfigException.at(key, "'" + text + "' is not a size such as 1048576, 512kB, 16MB or 1GB");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "B" : m.group(2);
    switch (unit) {
      case "kB": case "KB": return n << 10;
      case "MB": return n << 20;
      case "GB": return n << 30;
      default: return n;
    }
  }

  /**
   * Resolves a secret: {@code env:NAME} reads an environment variable, {@code file:/path} the first
   * line of a file; anything else is the secret itself. Secrets never appear in messages.
   */
  public static String secret(String key, String reference, Map<String, String> environment) {
    if (reference == null) {
      return null;
    }
    if (reference.startsWith("env:")) {
      String name = reference.substring(4);
      String value = environment.get(name);
      if (value == null || value.isEmpty()) {
        throw ConfigException.at(key, "environment variable " + name + " is not set");
      }
      return value;
    }
    if (reference.startsWith("file:")) {
      Path file = Path.of(reference.substring(5));
      try {
        String content = Files.readString(file).strip();
        if (content.isEmpty()) {
          throw ConfigException.at(key, "secret file " + file + " is empty");
        }
        return content.lines().findFirst().orElseThrow();
      } catch (java.nio.file.NoSuchFileException e) {
        throw ConfigException.at(key, "secret file " + file + " does not exist");
      } catch (IOException e) {
        throw ConfigException.at(key, "cannot read secret file " + file + ": " + e.getMessage());
      }
    }
    return reference;
  }

  /** {@code standby} (the default when absent) or {@code witness}: which members should lead Raft. */
  public static io.ratisfailover.RaftLeaderPreference raftLeaderPreference(String key, String text) {
    if (text == null) {
      return io.ratisfailover.RaftLeaderPreference.STANDBY;
    }
    return switch (text) {
      case "standby" -> io.ratisfailover.RaftLeaderPreference.STANDBY;
      case "witness" -> io.ratisfailover.RaftLeaderPreference.WITNESS;
      default -> throw ConfigException.at(key, "'" + text + "' is not standby or witness");
    };
  }

  /** Requires a value to be present. */
  public static <T> T required(String key, T value) {
    if (value == null || (value instanceof String s && s.isBlank())) {
      throw ConfigException.at(key, "is required");
    }
    return value;
  }

  /** Runs a constructor or converter that validates, turning its refusal into one naming {@code key}. */
  public static <T> T checked(String key, java.util.function.Supplier<T> convert) {
    try {
      return convert.get();
    } catch (IllegalArgumentException e) {
      throw ConfigException.at(key, e.getMessage());
    }
  }

  /**
   * Runs a builder of the library (a {@code DataMemberConfig}'s or a member's), the one place a
   * member's settings are validated, turning its refusal into one naming this file's key.
   *
   * @param keys the file's key for each setting the builder may name; a setting not listed is
   *     reported under {@code otherwise}
   */
  public static <T> T built(Map<String, String> keys, String otherwise, java.util.function.Supplier<T> build) {
    try {
      return build.get();
    } catch (SettingException e) {
      String key = keys.get(e.setting());
      throw key == null ? ConfigException.at(otherwise, e.getMessage()) : ConfigException.at(key, e.detail());
    }
  }
}

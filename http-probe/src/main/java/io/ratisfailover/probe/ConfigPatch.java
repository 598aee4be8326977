package io.ratisfailover.probe;

import com.fasterxml.jackson.databind.JsonNode;
import io.ratisfailover.ClusterSettings;
import io.ratisfailover.ServerParameters;
import io.ratisfailover.SynchronousMode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A {@code PATCH /config} (JSON merge: the keys given change, a {@code null} resets a key to its
 * default, the rest stay) or {@code PUT /config} (every key not given is reset), validated and
 * turned into a change of {@link ClusterSettings} plus, for the {@code pause} key, a pause or
 * resume. Key names are Patroni's dynamic configuration keys; {@code postgresql} and {@code slots}
 * are read by {@link ServerParametersPatch}.
 *
 * @param settings the change to apply to the settings as the cluster has them at commit time;
 *     empty when the request touches no setting
 * @param pause pause ({@code true}) or resume ({@code false}); empty when not asked
 */
record ConfigPatch(Optional<UnaryOperator<ClusterSettings>> settings, Optional<Boolean> pause) {

  static final List<String> KEYS = List.of("synchronous_mode", "synchronous_mode_strict", "synchronous_node_count",
      "maximum_lag_on_failover", "primary_start_timeout", "switchover_timeout", "postgresql", "slots", "pause");

  /** Patroni keys that have no dynamic counterpart here, with why, so that a 400 tells what to do. */
  private static final Map<String, String> NOT_DYNAMIC = Map.of(
      "ttl", "timing (ttl, loop_wait, retry_timeout) is static per member: set it in each member's configuration",
      "loop_wait", "timing (ttl, loop_wait, retry_timeout) is static per member: set it in each member's configuration",
      "retry_timeout", "timing (ttl, loop_wait, retry_timeout) is static per member: set it in each member's configuration",
      "standby_cluster", "standby clusters are not supported",
      "failsafe_mode", "there is no DCS to fail over from: the members are the consensus");

  ConfigPatch {
    if (settings == null || pause == null) {
      throw new IllegalArgumentException("settings and pause must not be null");
    }
  }

  boolean isEmpty() {
    return settings.isEmpty() && pause.isEmpty();
  }

  /**
   * @param replace {@code PUT}: keys not in {@code body} are reset to their defaults
   * @throws IllegalArgumentException naming the offending key, for a 400 answer
   */
  static ConfigPatch parse(JsonNode body, boolean replace) {
    if (body == null || !body.isObject()) {
      throw new IllegalArgumentException("the body must be a JSON object of settings, for example"
          + " {\"maximum_lag_on_failover\": 1048576}");
    }
    List<UnaryOperator<ClusterSettings>> changes = new ArrayList<>();
    Optional<Boolean> pause = Optional.empty();
    // Synchronous mode is two Patroni keys for one of our values: collect both, then decide.
    Optional<Optional<Boolean>> syncMode = Optional.empty();
    Optional<Optional<Boolean>> strict = Optional.empty();
    boolean syncModeStrictWord = false;
    boolean syncModeQuorumWord = false;
    Set<String> seen = new HashSet<>();
    for (Map.Entry<String, JsonNode> field : body.properties()) {
      String key = field.getKey().equals("master_start_timeout") ? "primary_start_timeout" : field.getKey();
      JsonNode value = field.getValue();
      seen.add(key);
      switch (key) {
        case "synchronous_mode" -> {
          if (value.isTextual() && value.asText().equalsIgnoreCase("strict")) {
            syncModeStrictWord = true;
            syncMode = Optional.of(Optional.of(true));
          } else if (value.isTextual() && value.asText().equalsIgnoreCase("quorum")) {
            syncModeQuorumWord = true;
            syncMode = Optional.of(Optional.of(true));
          } else {
            syncMode = Optional.of(nullable(value, () -> bool(key, value)));
          }
        }
        case "synchronous_mode_strict" -> strict = Optional.of(nullable(value, () -> bool(key, value)));
        case "synchronous_node_count" -> {
          int n = value.isNull() ? ClusterSettings.DEFAULT.synchronousNodeCount() : integer(key, value);
          changes.add(s -> s.withSynchronousNodeCount(n));
        }
        case "maximum_lag_on_failover" -> {
          long n = value.isNull() ? ClusterSettings.DEFAULT.maximumLagOnFailover() : bytes(key, value);
          changes.add(s -> s.withMaximumLagOnFailover(n));
        }
        case "primary_start_timeout" -> {
          Duration d = value.isNull() ? ClusterSettings.DEFAULT.primaryStartTimeout() : seconds(key, value);
          changes.add(s -> s.withPrimaryStartTimeout(d));
        }
        case "switchover_timeout" -> {
          Duration d = value.isNull() ? ClusterSettings.DEFAULT.switchoverTimeout() : seconds(key, value);
          changes.add(s -> s.withSwitchoverTimeout(d));
        }
        case "postgresql" -> changes.add(ServerParametersPatch.postgresql(value, replace));
        case "slots" -> changes.add(ServerParametersPatch.slots(value, replace));
        case "pause" -> pause = Optional.of(value.isNull() ? false : bool(key, value));
        default -> {
          String why = NOT_DYNAMIC.get(key);
          throw new IllegalArgumentException(why != null ? key + " cannot be changed here: " + why
              : "unknown setting '" + key + "'; the dynamic settings are " + String.join(", ", KEYS));
        }
      }
    }
    if (replace) {
      ClusterSettings d = ClusterSettings.DEFAULT;
      if (!seen.contains("synchronous_mode")) {
        syncMode = Optional.of(Optional.empty());
      }
      if (!seen.contains("synchronous_mode_strict")) {
        strict = Optional.of(Optional.empty());
      }
      if (!seen.contains("synchronous_node_count")) {
        changes.add(s -> s.withSynchronousNodeCount(d.synchronousNodeCount()));
      }
      if (!seen.contains("maximum_lag_on_failover")) {
        changes.add(s -> s.withMaximumLagOnFailover(d.maximumLagOnFailover()));
      }
      if (!seen.contains("primary_start_timeout")) {
        changes.add(s -> s.withPrimaryStartTimeout(d.primaryStartTimeout()));
      }
      if (!seen.contains("switchover_timeout")) {
        changes.add(s -> s.withSwitchoverTimeout(d.switchoverTimeout()));
      }
      if (!seen.contains("postgresql")) {
        changes.add(s -> s.withPostgresql(ServerParameters.NONE.withSlots(s.postgresql().slots())));
      }
      if (!seen.contains("slots")) {
        changes.add(s -> s.withPostgresql(s.postgresql().withSlots(Map.of())));
      }
      if (pause.isEmpty()) {
        pause = Optional.of(false);
      }
    }
    if (syncMode.isPresent() || strict.isPresent()) {
      changes.add(0, synchronousMode(syncMode, strict, syncModeStrictWord, syncModeQuorumWord));
    }
    if (changes.isEmpty()) {
      return new ConfigPatch(Optional.empty(), pause);
    }
    List<UnaryOperator<ClusterSettings>> all = List.copyOf(changes);
    UnaryOperator<ClusterSettings> combined = s -> {
      ClusterSettings next = s;
      for (UnaryOperator<ClusterSettings> c : all) {
        next = c.apply(next);
      }
      return next;
    };
    return new ConfigPatch(Optional.of(combined), pause);
  }

  /**
   * Patroni's pair {@code synchronous_mode} / {@code synchronous_mode_strict} on our one enum. An
   * inner empty Optional means "reset to the default (false)"; an outer empty one "not given".
   * Strict without synchronous mode is refused rather than silently dropped; turning synchronous
   * mode off turns strict off with it. {@code "quorum"} is quorum commit, and stays so while
   * {@code synchronous_mode} is not given; strict does not combine with it.
   */
  private static UnaryOperator<ClusterSettings> synchronousMode(Optional<Optional<Boolean>> mode,
      Optional<Optional<Boolean>> strict, boolean strictWord, boolean quorumWord) {
    return s -> {
      boolean on = mode.map(m -> m.orElse(false)).orElse(s.synchronousMode() != SynchronousMode.OFF);
      boolean explicitStrict = strict.flatMap(x -> x).orElse(false) || strictWord;
      if (quorumWord || (mode.isEmpty() && s.synchronousMode() == SynchronousMode.QUORUM)) {
        if (explicitStrict) {
          throw new IllegalArgumentException("synchronous_mode_strict does not combine with synchronous_mode: quorum");
        }
        return s.withSynchronousMode(SynchronousMode.QUORUM);
      }
      boolean isStrict = strict.map(x -> x.orElse(false)).orElse(s.synchronousMode() == SynchronousMode.STRICT)
          || strictWord;
      if (!on && explicitStrict) {
        throw new IllegalArgumentException("synchronous_mode_strict needs synchronous_mode: true");
      }
      return s.withSynchronousMode(!on ? SynchronousMode.OFF : isStrict ? SynchronousMode.STRICT : SynchronousMode.ON);
    };
  }

  private interface Reader<T> {
    T read();
  }

  private static <T> Optional<T> nullable(JsonNode value, Reader<T> reader) {
    return value.isNull() ? Optional.empty() : Optional.of(reader.read());
  }

  /** JSON true/false, or Patroni's words for them (on/off, yes/no, 1/0) as strings. */
  static boolean bool(String key, JsonNode value) {
    if (value.isBoolean()) {
      return value.booleanValue();
    }
    if (value.isTextual()) {
      switch (value.asText().toLowerCase(Locale.ROOT)) {
        case "true", "on", "yes", "1" -> { return true; }
        case "false", "off", "no", "0" -> { return false; }
        default -> { }
      }
    }
    throw new IllegalArgumentException(key + " must be true or false, got " + JsonTrees.text(value));
  }

  private static int integer(String key, JsonNode value) {
    if (value.isIntegralNumber() && value.canConvertToInt()) {
      return value.intValue();
    }
    if (value.isTextual()) {
      try {
        return Integer.parseInt(value.asText().strip());
      } catch (NumberFormatException e) {
        // fall through to the error below
      }
    }
    throw new IllegalArgumentException(key + " must be a whole number, got " + JsonTrees.text(value));
  }

  private static long bytes(String key, JsonNode value) {
    if (value.isIntegralNumber() && value.canConvertToLong()) {
      return value.longValue();
    }
    if (value.isTextual()) {
      try {
        return ByteSize.parse(value.asText());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
      }
    }
    throw new IllegalArgumentException(key + " must be a number of bytes, got " + JsonTrees.text(value));
  }

  /** Seconds, whole or fractional (millisecond precision), as a number or a numeric string. */
  private static Duration seconds(String key, JsonNode value) {
    BigDecimal s;
    if (value.isNumber()) {
      s = value.decimalValue();
    } else if (value.isTextual()) {
      try {
        s = new BigDecimal(value.asText().strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(key + " must be a number of seconds, got " + JsonTrees.text(value), e);
      }
    } else {
      throw new IllegalArgumentException(key + " must be a number of seconds, got " + JsonTrees.text(value));
    }
    if (s.signum() < 0 || s.compareTo(BigDecimal.valueOf(366L * 24 * 3600)) > 0) {
      throw new IllegalArgumentException(key + " must be between 0 and a year of seconds, got " + JsonTrees.text(value));
    }
    return Duration.ofMillis(s.movePointRight(3).setScale(0, RoundingMode.HALF_UP).longValueExact());
  }
}

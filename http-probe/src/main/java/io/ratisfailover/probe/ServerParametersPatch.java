package io.ratisfailover.probe;

import com.fasterxml.jackson.databind.JsonNode;
import io.ratisfailover.ClusterSettings;
import io.ratisfailover.ReplicationSlot;
import io.ratisfailover.ServerParameters;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The two keys of a {@link ConfigPatch} that change the cluster-wide {@link ServerParameters}:
 * {@code postgresql} (parameters and pg_hba) and {@code slots} (permanent replication slots). Each
 * is validated when parsed, so a 400 names the key, and applied to the settings as they are at
 * commit time.
 */
final class ServerParametersPatch {
  private ServerParametersPatch() {}

  /**
   * {@code postgresql: {parameters: {name: value}, pg_hba: [lines]}}. As a merge patch: a parameter
   * set to {@code null} is removed, the others given are set, the rest stay; {@code pg_hba} is a
   * list and so is replaced whole. With {@code replace} (PUT) what is not given is emptied.
   */
  static UnaryOperator<ClusterSettings> postgresql(JsonNode value, boolean replace) {
    if (value.isNull()) {
      return s -> s.withPostgresql(ServerParameters.NONE.withSlots(s.postgresql().slots()));
    }
    if (!value.isObject()) {
      throw new IllegalArgumentException("postgresql must be a mapping with parameters and pg_hba, got " + JsonTrees.text(value));
    }
    Map<String, Optional<String>> parameters = new LinkedHashMap<>();
    Optional<List<String>> hba = replace ? Optional.of(List.of()) : Optional.empty();
    boolean replaceParameters = replace;
    for (Map.Entry<String, JsonNode> field : value.properties()) {
      JsonNode v = field.getValue();
      switch (field.getKey()) {
        case "parameters" -> {
          if (v.isNull()) {
            replaceParameters = true;
          } else if (!v.isObject()) {
            throw new IllegalArgumentException("postgresql.parameters must be a mapping of name: value, got " + JsonTrees.text(v));
          } else {
            for (Map.Entry<String, JsonNode> p : v.properties()) {
              parameters.put(p.getKey(), parameterValue(p.getKey(), p.getValue()));
            }
          }
        }
        case "pg_hba" -> {
          if (v.isNull()) {
            hba = Optional.of(List.of());
          } else if (!v.isArray()) {
            throw new IllegalArgumentException("postgresql.pg_hba must be a list of lines, got " + JsonTrees.text(v));
          } else {
            List<String> lines = new ArrayList<>();
            for (JsonNode line : v) {
              if (!line.isTextual()) {
                throw new IllegalArgumentException("postgresql.pg_hba: each line must be text, got " + JsonTrees.text(line));
              }
              lines.add(line.asText());
            }
            hba = Optional.of(List.copyOf(lines));
          }
        }
        default -> throw new IllegalArgumentException("unknown setting 'postgresql." + field.getKey()
            + "'; the cluster-wide PostgreSQL settings are postgresql.parameters and postgresql.pg_hba");
      }
    }
    boolean fromEmpty = replaceParameters;
    Optional<List<String>> newHba = hba;
    // Validate now, for a 400 that names the key, rather than when the change is applied.
    apply(ServerParameters.NONE, parameters, true, newHba);
    return s -> s.withPostgresql(apply(s.postgresql(), parameters, fromEmpty, newHba));
  }

  private static ServerParameters apply(ServerParameters current, Map<String, Optional<String>> changes,
      boolean fromEmpty, Optional<List<String>> hba) {
    Map<String, String> next = new LinkedHashMap<>(fromEmpty ? Map.of() : current.parameters());
    changes.forEach((name, v) -> {
      if (v.isPresent()) {
        next.put(name, v.get());
      } else {
        next.remove(name);
      }
    });
    return new ServerParameters(next, hba.orElse(current.pgHba()), current.slots());
  }

  /**
   * {@code slots: {name: {type: physical} | {type: logical, database: d, plugin: p}}}, Patroni's
   * permanent slots. As a merge patch: a slot set to {@code null} is removed, those given are
   * declared (each replaced whole), the rest stay; {@code slots: null} or {@code replace} (PUT)
   * starts from none.
   */
  static UnaryOperator<ClusterSettings> slots(JsonNode value, boolean replace) {
    Map<String, Optional<ReplicationSlot>> changes = new LinkedHashMap<>();
    boolean fromEmpty = replace || value.isNull();
    if (!value.isNull() && !value.isObject()) {
      throw new IllegalArgumentException("slots must be a mapping of name: {type: physical|logical, ...}, got " + JsonTrees.text(value));
    }
    if (value.isObject()) {
      for (Map.Entry<String, JsonNode> field : value.properties()) {
        changes.put(field.getKey(), field.getValue().isNull() ? Optional.empty()
            : Optional.of(slot(field.getKey(), field.getValue())));
      }
    }
    // Validate now, for a 400 that names the slot, rather than when the change is applied.
    applySlots(ServerParameters.NONE, changes, true);
    return s -> s.withPostgresql(applySlots(s.postgresql(), changes, fromEmpty));
  }

  private static ServerParameters applySlots(ServerParameters current, Map<String, Optional<ReplicationSlot>> changes,
      boolean fromEmpty) {
    Map<String, ReplicationSlot> next = new LinkedHashMap<>(fromEmpty ? Map.of() : current.slots());
    changes.forEach((name, slot) -> {
      if (slot.isPresent()) {
        next.put(name, slot.get());
      } else {
        next.remove(name);
      }
    });
    return current.withSlots(next);
  }

  private static ReplicationSlot slot(String name, JsonNode v) {
    if (!v.isObject()) {
      throw new IllegalArgumentException("slots." + name + " must be a mapping with type (physical or logical), got " + JsonTrees.text(v));
    }
    Optional<String> database = Optional.empty();
    Optional<String> plugin = Optional.empty();
    ReplicationSlot.Type type = null;
    for (Map.Entry<String, JsonNode> field : v.properties()) {
      JsonNode f = field.getValue();
      if (!f.isTextual()) {
        throw new IllegalArgumentException("slots." + name + "." + field.getKey() + " must be text, got " + JsonTrees.text(f));
      }
      switch (field.getKey()) {
        case "type" -> {
          switch (f.asText().toLowerCase(Locale.ROOT)) {
            case "physical" -> type = ReplicationSlot.Type.PHYSICAL;
            case "logical" -> type = ReplicationSlot.Type.LOGICAL;
            default -> throw new IllegalArgumentException("slots." + name + ".type must be physical or logical, got "
                + f.asText());
          }
        }
        case "database" -> database = Optional.of(f.asText());
        case "plugin" -> plugin = Optional.of(f.asText());
        default -> throw new IllegalArgumentException("unknown setting 'slots." + name + "." + field.getKey()
            + "'; a slot has type, database and plugin");
      }
    }
    if (type == null) {
      throw new IllegalArgumentException("slots." + name + " has no type (physical or logical)");
    }
    return new ReplicationSlot(type, database, plugin);
  }

  /** A parameter's value as PostgreSQL reads it: text, or a number or boolean written as text; null removes it. */
  private static Optional<String> parameterValue(String name, JsonNode v) {
    if (v.isNull()) {
      return Optional.empty();
    }
    if (v.isTextual() || v.isNumber() || v.isBoolean()) {
      return Optional.of(v.asText());
    }
    throw new IllegalArgumentException("postgresql.parameters." + name + " must be a single value, got " + JsonTrees.text(v));
  }
}

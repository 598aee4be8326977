package io.ratisfailover.postgres.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A libpq connection string ({@code key='value' ...}), as {@code primary_conninfo},
 * {@code pg_basebackup -d} and {@code pg_rewind --source-server} take it. Values are quoted, so a
 * password with spaces or quotes survives.
 */
public final class Conninfo {
  private final Map<String, String> values = new LinkedHashMap<>();

  public Conninfo set(String key, String value) {
    values.put(key, value);
    return this;
  }

  @Override
  public String toString() {
    return values.entrySet().stream().map(e -> e.getKey() + "=" + quote(e.getValue())).collect(Collectors.joining(" "));
  }

  /** This connection string without its password, for logs and messages. */
  public String redacted() {
    return values.entrySet().stream().filter(e -> !e.getKey().equals("password"))
        .map(e -> e.getKey() + "=" + quote(e.getValue())).collect(Collectors.joining(" "));
  }

  static String quote(String value) {
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}

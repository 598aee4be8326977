package io.ratisfailover.node.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * Reads YAML configuration files strictly: an unknown key, a wrong type or invalid YAML fails with
 * one line naming the file, the key and the problem. Keys are snake_case, as in Patroni.
 */
public final class ConfigFiles {
  private ConfigFiles() {}

  public static ObjectMapper mapper() {
    return new ObjectMapper(new YAMLFactory())
        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
  }

  public static <T> T read(Path file, Class<T> type) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file + ": no such file");
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read: " + e.getMessage());
    }
    return parse(file.toString(), text, type);
  }

  public static <T> T parse(String source, String yaml, Class<T> type) {
    if (yaml.lines().allMatch(l -> l.isBlank() || l.strip().startsWith("#"))) {
      throw new ConfigException(source + ": the file is empty");
    }
    try {
      T value = mapper().readValue(yaml, type);
      if (value == null) {
        throw new ConfigException(source + ": the file is empty");
      }
      return value;
    } catch (UnrecognizedPropertyException e) {
      throw new ConfigException(source + ": unknown key '" + path(e) + "'");
    } catch (MismatchedInputException e) {
      String at = path(e);
      throw new ConfigException(source + ": " + (at.isEmpty() ? "the file" : at) + ": expected " + describe(e.getTargetType()));
    } catch (JsonMappingException e) {
      if (e.getCause() instanceof ConfigException c) {
        throw new ConfigException(source + ": " + c.getMessage(), c);
      }
      throw new ConfigException(source + ": " + (path(e).isEmpty() ? "" : path(e) + ": ") + firstLine(e.getOriginalMessage()));
    } catch (JsonProcessingException e) {
      throw new ConfigException(source + ": invalid YAML at line " + e.getLocation().getLineNr() + ": "
          + firstLine(e.getOriginalMessage()));
    }
  }

  /** Runs the checks that follow parsing, naming {@code source} in any problem they find. */
  public static <T> T check(String source, java.util.function.Supplier<T> checks) {
    try {
      return checks.get();
    } catch (ConfigException e) {
      throw new ConfigException(source + ": " + e.getMessage(), e);
    }
  }

  private static String describe(Class<?> type) {
    if (type == null) {
      return "another kind of value";
    }
    if (type == String.class) {
      return "a text value";
    }
    if (Number.class.isAssignableFrom(type) || type.isPrimitive()) {
      return "a number";
    }
    if (java.util.Collection.class.isAssignableFrom(type)) {
      return "a list";
    }
    return "a mapping of keys";
  }

  private static String path(JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining(".")).replace(".[", "[");
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }
}

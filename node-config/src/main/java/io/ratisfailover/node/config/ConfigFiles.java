package io.ratisfailover.node.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads YAML configuration files strictly: an unknown key, a wrong type or invalid YAML fails with
 * one line naming the file, the key and the problem. Keys are snake_case, as in Patroni; a key
 * given twice is refused.
 */
public final class ConfigFiles {
  private ConfigFiles() {}

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
    YAMLFactory yamlFactory = YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    T value;
    try (JsonParser parser = yamlFactory.createParser(yaml)) {
      value = RecordBinder.bind(parser, type);
    } catch (ConfigException e) {
      throw new ConfigException(source + ": " + e.getMessage(), e);
    } catch (JsonProcessingException e) {
      throw new ConfigException(source + ": invalid YAML at line " + e.getLocation().getLineNr() + ": "
          + firstLine(e.getOriginalMessage()));
    } catch (IOException e) {
      throw new ConfigException(source + ": cannot read: " + e.getMessage());
    }
    if (value == null) {
      throw new ConfigException(source + ": the file is empty");
    }
    return value;
  }

  /** Runs the checks that follow parsing, naming {@code source} in any problem they find. */
  public static <T> T check(String source, java.util.function.Supplier<T> checks) {
    try {
      return checks.get();
    } catch (ConfigException e) {
      throw new ConfigException(source + ": " + e.getMessage(), e);
    }
  }

  private static String firstLine(String s) {
    return s == null ? "" : s.lines().findFirst().orElse("");
  }
}

package io.ratisfailover.node.config;

/**
 * A configuration file that cannot be used. The message is one line naming the key (in the file's
 * own dotted form, such as {@code timing.ttl}) or the resource, suitable to print as is.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }

  /** A value that is there but wrong. */
  public static ConfigException at(String key, String problem) {
    return new ConfigException(key + ": " + problem);
  }
}

package io.ratisfailover.spi;

import java.util.Objects;

/** A database operation failed; {@link #kind()} tells the agent whether retrying can help. */
public final class DatabaseException extends Exception {
  private static final long serialVersionUID = 1L;

  /** What kind of failure, so that the agent knows whether to retry. */
  public enum Kind {
    /** May succeed on retry: connection refused, server starting, lock held. */
    TRANSIENT,
    /** Credentials were refused: retrying will not help until the configuration changes. */
    AUTHENTICATION,
    /** The configuration is wrong: missing binaries, bad paths, a port in use. */
    MISCONFIGURED,
    /** The data belongs to another cluster or diverged and may not be rewritten automatically. */
    DATA_MISMATCH,
    /** Anything else that needs a person. */
    FATAL
  }

  private final Kind kind;

  public DatabaseException(Kind kind, String message) {
    this(kind, message, null);
  }

  public DatabaseException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  public Kind kind() {
    return kind;
  }
}

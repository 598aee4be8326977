package io.ratisfailover;

/** A command could not be committed in time: no Raft leader, or no majority reachable. */
public final class NoQuorumException extends FailoverException {
  private static final long serialVersionUID = 1L;

  public NoQuorumException(String message, Throwable cause) {
    super(message, cause);
  }
}

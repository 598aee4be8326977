package io.ratisfailover.probe;

import io.ratisfailover.FailoverException;

/** The probe could not start: the port is taken, the address is not local, or the TLS files are unusable. */
public final class ProbeStartException extends FailoverException {
  private static final long serialVersionUID = 1L;

  public ProbeStartException(String message, Throwable cause) {
    super(message, cause);
  }
}

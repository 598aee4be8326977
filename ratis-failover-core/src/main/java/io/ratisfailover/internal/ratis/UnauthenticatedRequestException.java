package io.ratisfailover.internal.ratis;

import java.io.IOException;

/** The leader's answer to a request it will not log: it is not signed by the member it names. */
public final class UnauthenticatedRequestException extends IOException {
  private static final long serialVersionUID = 1L;

  public UnauthenticatedRequestException(String reason) {
    super(reason);
  }
}

package io.ratisfailover.ctl;

/** A failure the command-line tool reports as one line and a non-zero exit. */
final class CtlException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  CtlException(String message) {
    super(message);
  }
}

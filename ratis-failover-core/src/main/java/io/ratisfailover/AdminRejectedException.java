package io.ratisfailover;

import java.util.Objects;

/** An operator's request was refused; {@link #reason()} says why in a form callers can map to a status code. */
public final class AdminRejectedException extends FailoverException {
  private static final long serialVersionUID = 1L;

  /** Why an operator's request was refused. */
  public enum Reason {
    /** The request names a primary that is not the primary. */
    NOT_PRIMARY,
    /** The request names a member the cluster does not have, or a witness where a data member is needed. */
    UNKNOWN_MEMBER,
    /** The named candidate may not or cannot be promoted now (nofailover, unhealthy, lagging, not synchronous). */
    NOT_ELIGIBLE,
    /** There is no primary to switch over from, or no candidate to switch over to. */
    NO_CANDIDATE,
    /** A switchover is already pending, or none is pending to cancel. */
    CONFLICT,
    /** The cluster moved on while the request was being made; retry it. */
    STALE,
    /** The request is malformed. */
    INVALID,
    /** It was accepted but did not complete in time; it may still complete. */
    TIMED_OUT
  }

  private final Reason reason;

  public AdminRejectedException(Reason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public Reason reason() {
    return reason;
  }
}

package io.ratisfailover.probe;

import io.ratisfailover.AdminRejectedException;

/**
 * Answers shared by the admin endpoints: a call that the cluster refused, as the status its
 * reason calls for (412 the member or cluster is not as asked, 409 a conflicting or stale request,
 * 400 an invalid one, 503 an outcome not known in time), and the wording of their messages.
 */
final class AdminAnswers {
  private final JsonBodies bodies;

  AdminAnswers(JsonBodies bodies) {
    this.bodies = bodies;
  }

  /** @param action what was refused, as the message's first words ("adding pg4") */
  Answer rejected(String action, AdminRejectedException e) {
    int status = switch (e.reason()) {
      case NOT_PRIMARY, UNKNOWN_MEMBER, NOT_ELIGIBLE, NO_CANDIDATE -> 412;
      case CONFLICT, STALE -> 409;
      case INVALID -> 400;
      case TIMED_OUT -> 503;
    };
    String prefix = e.reason() == AdminRejectedException.Reason.TIMED_OUT ? action + " status unknown: " : action
        + " is not possible: ";
    return bodies.error(status, prefix + e.getMessage());
  }

  /** {@code action} as the start of a sentence: "adding pg4" becomes "Adding pg4". */
  static String capitalized(String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }
}

package io.ratisfailover.internal.state;

/** Why the state machine refused a command. Names are part of the wire format: never rename one. */
public enum Rejection {
  NOT_INITIALIZED,
  ALREADY_INITIALIZED,
  CLUSTER_MISMATCH,
  UNKNOWN_MEMBER,
  NOT_DATA_MEMBER,
  STALE_REQUEST,
  STALE_EPOCH,
  NOT_PRIMARY,
  RENEWED_SINCE,
  NOT_ELIGIBLE,
  PAUSED,
  SWITCHOVER_PENDING,
  NO_SWITCHOVER,
  INVALID,
  /** Not signed by the member it names, in a cluster that requires signatures (docs/design.md §4, invariant A1). */
  UNAUTHENTICATED
}

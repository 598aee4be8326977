package io.ratisfailover;

/** What this member is doing, as its own agent sees it. */
public enum LocalRole {
  /** Reading the committed cluster state; takes no action on the database yet. */
  STARTING,
  /** A member without a database. */
  WITNESS,
  /** Following the primary, or waiting for one to be elected. */
  REPLICA,
  /** Elected primary for the current epoch and not promoted yet. */
  CANDIDATE,
  /** Elected primary for the current epoch and promoted; it serves writes while its lease is valid. */
  PRIMARY,
  /** Stopping its database from taking writes: lease lost, switchover, or another member elected. */
  DEMOTING,
  /** Closed. */
  STOPPED
}

package io.ratisfailover;

/** A member's role in the cluster, as the replicated state records it (Patroni's member roles). */
public enum MemberRole {
  /** Elected primary of the current epoch. */
  PRIMARY,
  /** A data member recorded as holding every acknowledged commit. */
  SYNC_STANDBY,
  /** Any other data member. */
  REPLICA,
  /** A member without a database. */
  WITNESS
}

package io.ratisfailover;

/** What a member brings to the cluster. */
public enum MemberKind {
  /** An agent next to a database: it votes, and its database can be the primary. */
  DATA,
  /** An agent with no database: it votes and can arbitrate, but never holds data. */
  WITNESS
}

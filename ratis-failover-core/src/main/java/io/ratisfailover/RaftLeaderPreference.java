package io.ratisfailover;

/**
 * Which members the Raft leader (and with it the arbiter) should sit on, expressed as Ratis peer
 * priorities (docs/design.md §4.10). Whatever the preference, the primary's own member gets the
 * lowest priority, so that a crash of the primary's host costs one lease wait and not also a Raft
 * election. Safety never depends on it; only which faults move Raft leadership does. Every member
 * of a cluster should be configured alike: the Raft leader writes its own preference into the
 * group's configuration after each change of primary.
 */
public enum RaftLeaderPreference {
  /**
   * A standby data member leads, a witness only when no standby can. A witness shared by many
   * clusters then leads none of them, so its pause (or restart) moves no cluster's leadership;
   * a standby's host failure moves the leadership of its own cluster only. The default.
   */
  STANDBY,
  /**
   * A witness leads, a standby only when no witness can (the behaviour before issue 14). One pause
   * of a witness shared by many clusters makes every one of them elect a new Raft leader, and hand
   * leadership back when it returns.
   */
  WITNESS;

  /** Priority of the member's primary: the lowest, never preferred as Raft leader. */
  public static final int PRIMARY_PRIORITY = 0;
  /** Priority of the kind this preference favours. */
  public static final int PREFERRED_PRIORITY = 2;
  /** Priority of the other non-primary members. */
  public static final int SECOND_PRIORITY = 1;

  /**
   * The Raft peer priority of a member: the higher, the more Ratis prefers it as leader.
   *
   * @param primary whether the member is the current primary (or, to hand leadership away from
   *     it, the member that must not lead)
   */
  public int priority(MemberKind kind, boolean primary) {
    if (primary) {
      return PRIMARY_PRIORITY;
    }
    MemberKind favoured = this == STANDBY ? MemberKind.DATA : MemberKind.WITNESS;
    return kind == favoured ? PREFERRED_PRIORITY : SECOND_PRIORITY;
  }

  /**
   * The kind of a member whose priority this preference set to {@code priority}: how a member added
   * at run time, absent from the configuration files, is known. Only a primary gets the lowest, and
   * only a data member is ever primary.
   */
  public MemberKind kindAt(int priority) {
    MemberKind favoured = this == STANDBY ? MemberKind.DATA : MemberKind.WITNESS;
    if (priority == PREFERRED_PRIORITY) {
      return favoured;
    }
    if (priority == SECOND_PRIORITY) {
      return favoured == MemberKind.DATA ? MemberKind.WITNESS : MemberKind.DATA;
    }
    return MemberKind.DATA;
  }
}

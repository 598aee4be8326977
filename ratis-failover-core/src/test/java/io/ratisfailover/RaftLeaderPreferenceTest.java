package io.ratisfailover;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Priorities by preference, and the kind a priority says for a member no configuration file lists. */
class RaftLeaderPreferenceTest {
  @Test
  void thePrimaryIsNeverPreferredAndTheFavouredKindLeads() {
    assertThat(RaftLeaderPreference.STANDBY.priority(MemberKind.DATA, false))
        .isGreaterThan(RaftLeaderPreference.STANDBY.priority(MemberKind.WITNESS, false));
    assertThat(RaftLeaderPreference.WITNESS.priority(MemberKind.WITNESS, false))
        .isGreaterThan(RaftLeaderPreference.WITNESS.priority(MemberKind.DATA, false));
    for (RaftLeaderPreference p : RaftLeaderPreference.values()) {
      assertThat(p.priority(MemberKind.DATA, true)).isLessThan(p.priority(MemberKind.WITNESS, false));
    }
  }

  @Test
  void aPriorityTellsTheKindItWasGivenFor() {
    for (RaftLeaderPreference p : RaftLeaderPreference.values()) {
      for (MemberKind kind : MemberKind.values()) {
        assertThat(p.kindAt(p.priority(kind, false))).as("%s %s", p, kind).isEqualTo(kind);
      }
      assertThat(p.kindAt(p.priority(MemberKind.DATA, true))).as("only a data member is ever primary").isEqualTo(MemberKind.DATA);
    }
  }
}

package io.ratisfailover.internal.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.MemberId;
import io.ratisfailover.Peer;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Story;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which membership changes keep the group able to elect and to commit the change itself. */
class MembershipRulesTest {
  static final MemberId PG1 = MemberId.of("pg1");
  static final MemberId PG2 = MemberId.of("pg2");
  static final MemberId W1 = MemberId.of("w1");
  static final MemberId W2 = MemberId.of("w2");
  static final ClusterState PRIMARY_PG1 = Story.of().bootstrap().elect("pg1").renew("pg1").state();

  @Test
  void aGroupKeepsThreeVotersAndNeverLosesItsPrimary() {
    assertThat(MembershipRules.removal(W1, List.of(PG1, PG2, W1), Set.of(PG1, PG2, W1), PRIMARY_PG1))
        .contains("removing w1 would leave 2 voters [pg1, pg2]: a group needs at least 3 to elect after losing one;"
            + " add a member first (rfctl replace)");
    assertThat(MembershipRules.removal(W1, List.of(PG1, W1), Set.of(PG1, W1), PRIMARY_PG1)).get().asString()
        .startsWith("removing w1 would leave 1 voters");
    assertThat(MembershipRules.removal(PG1, List.of(PG1, PG2, W1, W2), Set.of(PG1, PG2, W1, W2), PRIMARY_PG1))
        .contains("pg1 is the primary; switch over to another member first (rfctl switchover)");
    assertThat(MembershipRules.removal(W2, List.of(PG1, PG2, W1, W2), Set.of(PG1, PG2, W1, W2), PRIMARY_PG1)).isEmpty();
  }

  @Test
  void aMemberNeitherVotingNorRecordedIsNamedAndAHalfDoneRemovalMayFinish() {
    assertThat(MembershipRules.removal(MemberId.of("pg9"), List.of(PG1, PG2, W1), Set.of(PG1), PRIMARY_PG1))
        .contains("member pg9 is not in cluster orders (voters [pg1, pg2, w1])");
    // Still a voter, its record already gone: the removal's second step may be repeated.
    assertThat(MembershipRules.removal(W2, List.of(PG1, PG2, W1, W2), Set.of(PG1, PG2, W1), PRIMARY_PG1)).isEmpty();
  }

  @Test
  void theVotersThatDecideTheChangeMustBeAnswering() {
    assertThat(MembershipRules.removal(W2, List.of(PG1, PG2, W1, W2), Set.of(PG1), PRIMARY_PG1)).get().asString()
        .startsWith("removing w2 needs 2 of the voters [pg1, pg2, w1] answering, but only [pg1] reported lately");
    // Adding a fourth voter to three of which one is down: the new one makes the third of four.
    assertThat(MembershipRules.addition(Peer.witness("w2", "h:9"), List.of(PG1, PG2, W1), Set.of(PG1, PG2), PRIMARY_PG1))
        .isEmpty();
    assertThat(MembershipRules.addition(Peer.witness("w2", "h:9"), List.of(PG1, PG2, W1), Set.of(PG1), PRIMARY_PG1))
        .get().asString().startsWith("adding w2 needs 3 of the voters [pg1, pg2, w1, w2] answering");
    assertThat(MembershipRules.addition(Story.PEERS.get(2), List.of(PG1, PG2, W1), Set.of(PG1, PG2, W1), PRIMARY_PG1))
        .contains("member w1 is already in cluster orders");
  }
}

package io.ratisfailover.internal.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.SynchronousMode;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Story;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a member's configuration is compared with, and how a difference is named in one line. */
class ConfigAgreementTest {
  static final ClusterState BOOTSTRAPPED = Story.of().bootstrap().state();

  private static List<Peer> with(Peer changed) {
    List<Peer> peers = new ArrayList<>(Story.PEERS.stream().filter(p -> !p.id().equals(changed.id())).toList());
    peers.add(0, changed);
    return peers;
  }

  @Test
  void theSamePeersInAnotherOrderAgree() {
    List<Peer> reversed = new ArrayList<>(Story.PEERS);
    java.util.Collections.reverse(reversed);
    assertThat(ConfigAgreement.refusal("orders", reversed, BOOTSTRAPPED, "here")).isEmpty();
  }

  @Test
  void aPeerAtAnotherAddressIsNamedWithBothAddresses() {
    Peer w1 = Story.PEERS.stream().filter(p -> p.id().value().equals("w1")).findFirst().orElseThrow();
    String refusal = ConfigAgreement.refusal("orders", with(new Peer(w1.id(), w1.kind(), "127.0.0.1:7999")),
        BOOTSTRAPPED, "the state of peer pg1").orElseThrow();
    assertThat(refusal).isEqualTo("configured peers [pg1, pg2, w1@127.0.0.1:7999] differ from the cluster's [pg1, pg2, w1@"
        + w1.raftAddress() + "] in the state of peer pg1; fix the peers list");
  }

  @Test
  void anExtraPeerAndAnotherKindAreNamed() {
    List<Peer> extra = new ArrayList<>(Story.PEERS);
    extra.add(Peer.data("pg3", "127.0.0.1:7005"));
    assertThat(ConfigAgreement.refusal("orders", extra, BOOTSTRAPPED, "here").orElseThrow())
        .contains("configured peers [pg1, pg2, pg3@127.0.0.1:7005, w1]").contains("differ from the cluster's [pg1, pg2, w1]");

    Peer pg2 = Story.PEERS.stream().filter(p -> p.id().value().equals("pg2")).findFirst().orElseThrow();
    assertThat(ConfigAgreement.refusal("orders", with(new Peer(pg2.id(), MemberKind.WITNESS, pg2.raftAddress())),
        BOOTSTRAPPED, "here").orElseThrow()).contains("pg2@" + pg2.raftAddress() + " (witness)");
  }

  @Test
  void anotherClusterNameIsRefusedAndAnEmptyStateIsNotComparedYet() {
    assertThat(ConfigAgreement.refusal("billing", Story.PEERS, BOOTSTRAPPED, "the state it applied")).contains(
        "configured cluster name 'billing' differs from the cluster's 'orders' in the state it applied; fix the cluster name");
    assertThat(ConfigAgreement.refusal("billing", List.of(), ClusterState.EMPTY, "here")).isEmpty();
  }

  @Test
  void settingsAreOnlyDescribedFieldByField() {
    ClusterSettings mine = ClusterSettings.DEFAULT.withSynchronousMode(SynchronousMode.STRICT).withSynchronousNodeCount(2);
    assertThat(ConfigAgreement.settingsDifference(mine, ClusterSettings.DEFAULT)).contains(
        "synchronous_mode strict here, off in the cluster, synchronous_node_count 2 here, 1 in the cluster");
    assertThat(ConfigAgreement.settingsDifference(ClusterSettings.DEFAULT, ClusterSettings.DEFAULT)).isEmpty();
  }

  @Test
  void afterAMembershipChangeAFileThatLagsBehindIsAcceptedButAnAddressThatDiffersIsNot() {
    ClusterState reconfigured = Story.of().bootstrap()
        .apply("pg1", new io.ratisfailover.internal.state.Command.AddMember(Peer.witness("w2", "127.0.0.1:7009"))).state();
    assertThat(ConfigAgreement.refusal("orders", Story.PEERS, reconfigured, "here")).isEmpty();
    assertThat(ConfigAgreement.outdatedPeers(Story.PEERS, reconfigured)).contains(
        "configured peers [pg1, pg2, w1], the cluster's [pg1, pg2, w1, w2@127.0.0.1:7009]");
    Peer w1 = Story.PEERS.get(2);
    assertThat(ConfigAgreement.refusal("orders", with(new Peer(w1.id(), w1.kind(), "127.0.0.1:7999")), reconfigured,
        "here")).isPresent();
    // Before any change, an extra peer is still a mistake; once booted it is decided, not deferred.
    assertThat(ConfigAgreement.refusal("orders", reconfiguredList(), BOOTSTRAPPED, "here")).isPresent();
    assertThat(ConfigAgreement.reconfigurable("orders", reconfiguredList(), BOOTSTRAPPED)).isTrue();
    assertThat(ConfigAgreement.reconfigurable("billing", reconfiguredList(), BOOTSTRAPPED)).isFalse();
  }

  private static List<Peer> reconfiguredList() {
    List<Peer> peers = new java.util.ArrayList<>(Story.PEERS);
    peers.add(Peer.witness("w2", "127.0.0.1:7009"));
    return peers;
  }
}

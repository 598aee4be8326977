package io.ratisfailover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class ValuesTest {
  @Property
  void lsnTextRoundTrips(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long value) {
    assertThat(Lsn.parse(Lsn.of(value).toString())).isEqualTo(Lsn.of(value));
  }

  @Test
  void lsnsReadLikePostgres() {
    assertThat(Lsn.parse("16/B374D848").value()).isEqualTo(0x16B374D848L);
    assertThat(Lsn.of(0x16B374D848L)).hasToString("16/B374D848");
    assertThat(Lsn.of(10).bytesAfter(Lsn.of(4))).isEqualTo(6);
    assertThat(Lsn.of(4).bytesAfter(Lsn.of(10))).isZero();
    assertThatThrownBy(() -> Lsn.parse("16-B3")).hasMessageContaining("XXXXXXXX/XXXXXXXX");
    assertThatThrownBy(() -> Lsn.parse("zz/1")).hasMessageContaining("zz/1");
  }

  @Test
  void memberIdsAreSafeAsApplicationAndSlotNames() {
    assertThat(MemberId.of("pg-1_a")).hasToString("pg-1_a");
    assertThatThrownBy(() -> MemberId.of("PG1")).hasMessageContaining("lowercase");
    assertThatThrownBy(() -> MemberId.of("pg 1")).hasMessageContaining("'pg 1'");
    assertThatThrownBy(() -> MemberId.of("x".repeat(64))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void addressesAreParsedStrictly() {
    assertThat(HostPort.parse("10.0.0.1:7001", "raft address")).isEqualTo(new HostPort("10.0.0.1", 7001));
    assertThat(HostPort.parse("[::1]:7001", "raft address").host()).isEqualTo("::1");
    assertThatThrownBy(() -> HostPort.parse("10.0.0.1", "raft address of pg1")).hasMessageContaining("raft address of pg1");
    assertThatThrownBy(() -> HostPort.parse("h:99999", "raft address")).hasMessageContaining("99999");
    assertThatThrownBy(() -> Peer.data("pg1", "nohost")).hasMessageContaining("raft address of peer pg1");
  }

  @Test
  void settingsRefuseImpossibleValues() {
    assertThatThrownBy(() -> ClusterSettings.DEFAULT.withSynchronousNodeCount(0)).hasMessageContaining("synchronous_node_count");
    assertThatThrownBy(() -> ClusterSettings.DEFAULT.withMaximumLagOnFailover(-1)).hasMessageContaining("maximum_lag_on_failover");
    assertThatThrownBy(() -> ClusterSettings.DEFAULT.withPrimaryStartTimeout(Duration.ofSeconds(-1)))
        .hasMessageContaining("primary_start_timeout");
    assertThatThrownBy(() -> new Tags(false, false, false, -1, java.util.Map.of())).hasMessageContaining("failover_priority");
  }

  @Test
  void epochsOnlyGrowByOne() {
    assertThat(Epoch.ZERO.next()).isEqualTo(Epoch.of(1));
    assertThat(Epoch.of(2).isAfter(Epoch.of(1))).isTrue();
    assertThatThrownBy(() -> Epoch.of(-1)).isInstanceOf(IllegalArgumentException.class);
  }
}

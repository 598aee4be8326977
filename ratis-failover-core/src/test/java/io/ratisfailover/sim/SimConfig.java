package io.ratisfailover.sim;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.control.AgentPolicy;
import io.ratisfailover.internal.control.RenewalClock;
import io.ratisfailover.internal.state.ClusterStateMachine;
import io.ratisfailover.internal.state.Transition;
import java.time.Duration;
import java.util.List;

/**
 * What a simulation runs: the members, the timing they are configured with, and the rules under
 * test (the state machine's transition, the arbiter's renewal clock, the agent's rules) — which tests swap for broken
 * variants to show the properties catch them.
 *
 * @param warmupMillis faults start after this; the cluster forms first
 * @param faultWindowMillis faults start within this window after the warm-up
 * @param maxDatabaseLatencyMillis a database call takes up to this long
 * @param maxWallSkewMillis members' wall clocks differ by up to this much (NTP skew)
 * @param lateReplyProbability the share of answers to commands that arrive 0.4–3 s late, beyond the
 *     lease margin (a retransmission, a stall on the leader)
 * @param switchoverDrain how long a primary answers 503 on {@code /primary} before a switchover's stop
 */
public record SimConfig(List<Peer> members, Timing timing, ClusterSettings settings, Transition transition,
    RenewalClock renewalClock, AgentPolicy agentPolicy, long warmupMillis, long faultWindowMillis,
    long maxDatabaseLatencyMillis, long maxWallSkewMillis, double lateReplyProbability, Duration switchoverDrain) {

  public SimConfig {
    members = List.copyOf(members);
  }

  /** Two data members and a witness, default timing, the production rules. */
  public static SimConfig threeMembers() {
    return new SimConfig(List.of(Peer.data("pg1", "sim:1"), Peer.data("pg2", "sim:2"), Peer.witness("w1", "sim:3")),
        Timing.defaults(), ClusterSettings.DEFAULT, new ClusterStateMachine(), RenewalClock.LOCAL, AgentPolicy.STANDARD, 6_000, 30_000, 40, 2_000,
        0.1, Duration.ZERO);
  }

  /** Three data members and two witnesses. */
  public static SimConfig fiveMembers() {
    return threeMembers().withMembers(List.of(Peer.data("pg1", "sim:1"), Peer.data("pg2", "sim:2"),
        Peer.data("pg3", "sim:3"), Peer.witness("w1", "sim:4"), Peer.witness("w2", "sim:5")));
  }

  /**
   * Four data members and a witness with quorum commit: the primary's three standbys, any two of
   * which confirm each commit ({@code ANY 2 (...)}), so that a standby may lack an acknowledged commit.
   */
  public static SimConfig quorumCommit() {
    return threeMembers().withMembers(List.of(Peer.data("pg1", "sim:1"), Peer.data("pg2", "sim:2"),
        Peer.data("pg3", "sim:3"), Peer.data("pg4", "sim:4"), Peer.witness("w1", "sim:5")))
        .withSettings(ClusterSettings.DEFAULT.withSynchronousMode(io.ratisfailover.SynchronousMode.QUORUM)
            .withSynchronousNodeCount(2));
  }

  /**
   * The layout a replay or survey names with {@code -Dsim.members}: 3 (default), 5 (whose primary
   * drains for 250 ms before a switchover's stop), or quorum.
   */
  public static SimConfig named(String members) {
    return switch (members == null ? "3" : members) {
      case "5" -> fiveMembers().withSwitchoverDrain(Duration.ofMillis(250));
      case "quorum" -> quorumCommit();
      default -> threeMembers();
    };
  }

  public SimConfig withSettings(ClusterSettings value) {
    return new SimConfig(members, timing, value, transition, renewalClock, agentPolicy, warmupMillis, faultWindowMillis,
        maxDatabaseLatencyMillis, maxWallSkewMillis, lateReplyProbability, switchoverDrain);
  }

  public SimConfig withMembers(List<Peer> value) {
    return new SimConfig(value, timing, settings, transition, renewalClock, agentPolicy, warmupMillis, faultWindowMillis,
        maxDatabaseLatencyMillis, maxWallSkewMillis, lateReplyProbability, switchoverDrain);
  }

  public SimConfig withTiming(Timing value) {
    return new SimConfig(members, value, settings, transition, renewalClock, agentPolicy, warmupMillis, faultWindowMillis,
        maxDatabaseLatencyMillis, maxWallSkewMillis, lateReplyProbability, switchoverDrain);
  }

  public SimConfig withTransition(Transition value) {
    return new SimConfig(members, timing, settings, value, renewalClock, agentPolicy, warmupMillis, faultWindowMillis,
        maxDatabaseLatencyMillis, maxWallSkewMillis, lateReplyProbability, switchoverDrain);
  }

  public SimConfig withRenewalClock(RenewalClock value) {
    return new SimConfig(members, timing, settings, transition, value, agentPolicy, warmupMillis, faultWindowMillis,
        maxDatabaseLatencyMillis, maxWallSkewMillis, lateReplyProbability, switchoverDrain);
  }

  public SimConfig withAgentPolicy(AgentPolicy value) {
    return new SimConfig(members, timing, settings, transition, renewalClock, value, warmupMillis, faultWindowMillis,
        maxDatabaseLatencyMillis, maxWallSkewMillis, lateReplyProbability, switchoverDrain);
  }

  public SimConfig withSwitchoverDrain(Duration value) {
    return new SimConfig(members, timing, settings, transition, renewalClock, agentPolicy, warmupMillis, faultWindowMillis,
        maxDatabaseLatencyMillis, maxWallSkewMillis, lateReplyProbability, value);
  }

  /** Without late answers: for schedules that must stay within what the timing tolerates. */
  public SimConfig withoutLateReplies() {
    return new SimConfig(members, timing, settings, transition, renewalClock, agentPolicy, warmupMillis, faultWindowMillis,
        maxDatabaseLatencyMillis, maxWallSkewMillis, 0, switchoverDrain);
  }

  public int size() {
    return members.size();
  }

  public boolean isData(int node) {
    return members.get(node).kind() == MemberKind.DATA;
  }
}

package io.ratisfailover.internal.control;

import java.util.List;

/** Agents with one rule broken the way the safety review found it broken (review B4). */
public final class BrokenAgents {
  private BrokenAgents() {}

  /** B4: the agent does not look at its database before it has read the committed state. */
  public static AgentPolicy withoutFenceOnBoot() {
    return new AgentPolicy(in -> in.booted() ? Agent.decide(in)
        : new Agent.Decision(List.of(), "broken: nothing before the boot barrier", Ticks.plus(in.now(), in.timing().loopWait())));
  }

  /**
   * Quorum commit: a candidate elected through the quorum record takes its lease having heard from
   * itself alone, not from enough of the set to be sure one of them holds every acknowledged commit.
   */
  public static AgentPolicy electedHearingOnlyItself() {
    return new AgentPolicy(in -> Agent.decide(in, record -> 1));
  }
}

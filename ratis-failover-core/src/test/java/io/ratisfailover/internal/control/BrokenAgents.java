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
}

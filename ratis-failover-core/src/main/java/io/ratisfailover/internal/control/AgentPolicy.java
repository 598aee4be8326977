package io.ratisfailover.internal.control;

import java.util.Objects;
import java.util.function.Function;

/**
 * The rules the agent decides by: {@link #STANDARD} in production. Tests swap in deliberately broken
 * variants (from the same package) to show that the safety properties catch them.
 */
public final class AgentPolicy {
  public static final AgentPolicy STANDARD = new AgentPolicy(Agent::decide);

  private final Function<Agent.Input, Agent.Decision> rules;

  AgentPolicy(Function<Agent.Input, Agent.Decision> rules) {
    this.rules = Objects.requireNonNull(rules, "rules");
  }

  Agent.Decision decide(Agent.Input in) {
    return rules.apply(in);
  }
}

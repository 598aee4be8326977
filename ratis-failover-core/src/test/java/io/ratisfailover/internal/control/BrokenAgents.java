package io.ratisfailover.internal.control;

import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.spi.DatabaseState;
import java.util.List;
import java.util.Optional;

/** Agents with one rule each broken the way the safety review found them broken (review B1, B4). */
public final class BrokenAgents {
  private BrokenAgents() {}

  /** B4: the agent does not look at its database before it has read the committed state. */
  public static AgentPolicy withoutFenceOnBoot() {
    return new AgentPolicy(in -> in.booted() ? Agent.decide(in)
        : new Agent.Decision(List.of(), "broken: nothing before the boot barrier", Ticks.plus(in.now(), in.timing().loopWait())));
  }

  /** B1: a switchover on a database whose status is unknown releases the epoch without fencing it. */
  public static AgentPolicy releasingOnUnknownStatus() {
    return new AgentPolicy(in -> {
      ClusterState s = in.state();
      boolean unknown = in.db().filter(db -> db.state() == DatabaseState.UNKNOWN).isPresent();
      boolean switchover = s.switchover().filter(w -> w.isDue(in.wallNow())).isPresent();
      if (in.booted() && unknown && switchover && s.isPrimary(in.self(), s.epoch())) {
        return new Agent.Decision(List.of(new Agent.Action.Submit(new Command.Release(s.epoch(), Optional.empty(),
            "switchover"))), "broken: releasing without fencing", Ticks.plus(in.now(), in.timing().loopWait()));
      }
      return Agent.decide(in);
    });
  }
}

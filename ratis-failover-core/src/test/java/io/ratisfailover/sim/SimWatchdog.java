package io.ratisfailover.sim;

import io.ratisfailover.spi.FenceMode;
import io.ratisfailover.spi.Watchdog;
import java.time.Duration;

/**
 * The host's watchdog in the simulation: it stands for the kernel's softdog and for the process
 * guard that fences PostgreSQL when the agent dies. It counts on the simulation's own event queue
 * and the host's clock, so a paused or dead agent cannot stop it; when its deadline passes it
 * fences the host's database. It belongs to the host, not to one agent process: a restarted agent
 * finds it still counting down for its predecessor, as {@code /dev/watchdog} would.
 */
final class SimWatchdog implements Watchdog {
  private final Simulation sim;
  private final SimNode node;
  private boolean armed;
  private long deadline;
  /** Moves on with every arm, keep-alive and disarm, so that only the latest countdown fires. */
  private long generation;

  SimWatchdog(Simulation sim, SimNode node) {
    this.sim = sim;
    this.node = node;
  }

  @Override
  public void arm(Duration remaining) {
    armed = true;
    countDown(remaining);
  }

  /** Also after it fired: the agent renewed, and the new deadline guards the server it restarts (as the postmaster guard does). */
  @Override
  public void keepAlive(Duration remaining) {
    armed = true;
    countDown(remaining);
  }

  @Override
  public void disarm() {
    armed = false;
    generation++;
  }

  /** Counting down: it will fence the database unless kept alive or disarmed first. */
  boolean armed() {
    return armed;
  }

  long deadline() {
    return deadline;
  }

  /** The host died with everything on it: the countdown dies too. */
  void reset() {
    disarm();
  }

  /** {@code remaining} is measured on the host's clock. */
  private void countDown(Duration remaining) {
    long mine = ++generation;
    deadline = sim.now() + node.real(remaining.toNanos());
    sim.at(deadline, null, () -> {
      if (armed && generation == mine) {
        armed = false;
        sim.trace("watchdog: " + node.peer.id() + " not kept alive in time: fencing its database");
        if (node.database != null) {
          node.database.fence(FenceMode.IMMEDIATE);
        }
      }
    });
  }
}

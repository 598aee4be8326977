package io.ratisfailover.sim;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/**
 * Thousands of simulated runs would log millions of lines: the simulation keeps its own trace
 * instead. Each run is quiet on its own and puts the level back after it, so the real-Ratis tests
 * that run later in the same JVM (one surefire fork in CI) still log what a failure needs.
 */
final class QuietLogs {
  private QuietLogs() {}

  static Simulation.Outcome run(Simulation simulation) {
    Logger logger = (Logger) LoggerFactory.getLogger("io.ratisfailover");
    Level before = logger.getLevel();
    logger.setLevel(Level.OFF);
    try {
      return simulation.run();
    } finally {
      logger.setLevel(before);
    }
  }
}

package io.ratisfailover.sim;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Thousands of simulated runs would log millions of lines: the simulation keeps its own trace
 * instead. {@link #restore} puts back the level the configuration gave, so the real-Ratis tests
 * that run later in the same JVM (one surefire fork in CI) still log what a failure needs.
 */
final class QuietLogs {
  private static final String[] NAMES = {"io.ratisfailover"};
  /** Levels before the first {@link #quiet} that was not yet restored; null means inherited. */
  private static final Map<String, Level> SAVED = new HashMap<>();

  private QuietLogs() {}

  static synchronized void quiet() {
    for (String name : NAMES) {
      Logger logger = (Logger) LoggerFactory.getLogger(name);
      if (!SAVED.containsKey(name)) {
        SAVED.put(name, logger.getLevel());
      }
      logger.setLevel(Level.OFF);
    }
  }

  static synchronized void restore() {
    for (String name : NAMES) {
      if (SAVED.containsKey(name)) {
        ((Logger) LoggerFactory.getLogger(name)).setLevel(SAVED.remove(name));
      }
    }
  }
}

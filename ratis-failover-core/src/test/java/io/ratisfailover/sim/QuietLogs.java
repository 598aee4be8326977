package io.ratisfailover.sim;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** Thousands of simulated runs would log millions of lines: the simulation keeps its own trace instead. */
final class QuietLogs {
  private static final String[] NAMES = {"io.ratisfailover"};

  private QuietLogs() {}

  static void quiet() {
    for (String name : NAMES) {
      ((Logger) LoggerFactory.getLogger(name)).setLevel(Level.OFF);
    }
  }

  static void restore() {
    for (String name : NAMES) {
      ((Logger) LoggerFactory.getLogger(name)).setLevel(null);
    }
  }
}

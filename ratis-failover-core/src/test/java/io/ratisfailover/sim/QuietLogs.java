package io.ratisfailover.sim;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * Thousands of simulated runs would log millions of lines: the simulation keeps its own trace
 * instead. A run is quiet on its own thread only. Switching the {@code io.ratisfailover} level
 * globally raced: two runs on different threads each put back the level they found, the last
 * one OFF, and the real-Ratis tests after them in the same JVM (one surefire fork in CI) then
 * logged nothing a failure needs.
 */
final class QuietLogs {
  private static final ThreadLocal<Boolean> QUIET = ThreadLocal.withInitial(() -> false);

  static {
    TurboFilter filter = new TurboFilter() {
      @Override
      public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        return QUIET.get() && logger.getName().startsWith("io.ratisfailover") ? FilterReply.DENY : FilterReply.NEUTRAL;
      }
    };
    filter.start();
    ((LoggerContext) LoggerFactory.getILoggerFactory()).addTurboFilter(filter);
  }

  private QuietLogs() {}

  static Simulation.Outcome run(Simulation simulation) {
    QUIET.set(true);
    try {
      return simulation.run();
    } finally {
      QUIET.remove();
    }
  }
}

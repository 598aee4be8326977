package io.ratisfailover.sim;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Simulations run quiet on their own threads, while the members of other tests still log. */
class QuietLogsTest {
  @Test
  void twoRunsAtOnceSilenceOnlyTheirOwnThreads() throws Exception {
    Logger logger = (Logger) LoggerFactory.getLogger("io.ratisfailover");
    List<ILoggingEvent> events = new CopyOnWriteArrayList<>();
    ListAppender<ILoggingEvent> appender = new ListAppender<>() {
      @Override
      protected void append(ILoggingEvent e) {
        events.add(e);
      }
    };
    appender.start();
    logger.addAppender(appender);
    try {
      Thread[] runs = new Thread[2];
      for (int i = 0; i < runs.length; i++) {
        String schedule = "seed=" + (11 + i) + " rates=1.0,1.0,1.0 sync=on watchdog=on faults=deaf(2,6000,20000)";
        runs[i] = new Thread(() -> QuietLogs.run(new Simulation(SimConfig.threeMembers(), Schedule.parse(schedule))),
            "quiet-run-" + i);
        runs[i].start();
      }
      for (Thread run : runs) {
        run.join(60_000);
        assertThat(run.isAlive()).as("simulation still running after 60 s").isFalse();
      }
      LoggerFactory.getLogger("io.ratisfailover.sim.QuietLogsTest").info("after the runs");
    } finally {
      logger.detachAppender(appender);
    }
    assertThat(events).noneMatch(e -> e.getThreadName().startsWith("quiet-run-"));
    assertThat(events).extracting(ILoggingEvent::getFormattedMessage).containsExactly("after the runs");
  }
}

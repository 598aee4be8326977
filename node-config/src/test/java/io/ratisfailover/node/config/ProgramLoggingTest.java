package io.ratisfailover.node.config;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/** The programs' log, configured in code as the logback.xml it replaces configured it. */
class ProgramLoggingTest {
  @Test
  void logbackFindsItBeforeItsXmlConfigurator() {
    assertThat(ServiceLoader.load(ch.qos.logback.classic.spi.Configurator.class).stream()
        .map(ServiceLoader.Provider::type)).contains(ProgramLogging.class);
  }

  @Test
  void decisionsAtInfoRatisAtWarnAndItsRetriesSilencedOnTheConsole() {
    LoggerContext context = new LoggerContext();
    ProgramLogging logging = new ProgramLogging();
    logging.setContext(context);
    assertThat(logging.configure(context)).isEqualTo(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
    assertThat(context.getLogger("io.ratisfailover").getLevel()).isEqualTo(Level.INFO);
    assertThat(context.getLogger("org.apache.ratis").getLevel()).isEqualTo(Level.WARN);
    assertThat(context.getLogger("org.apache.ratis.client.impl.OrderedAsync").getLevel()).isEqualTo(Level.OFF);
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    assertThat(root.getLevel()).isEqualTo(Level.WARN);
    ConsoleAppender<?> out = (ConsoleAppender<?>) root.getAppender("OUT");
    assertThat(out.isStarted()).isTrue();
    assertThat(((LayoutWrappingEncoder<?>) out.getEncoder()).getLayout()).isInstanceOf(ProgramLogLayout.class);
  }

  /** The layout written in code writes what logback's pattern layout writes for the pattern. */
  @Test
  void eachLineIsWhatThePatternDescribes() {
    LoggerContext context = new LoggerContext();
    PatternLayout pattern = new PatternLayout();
    pattern.setContext(context);
    pattern.setPattern(ProgramLogging.PATTERN);
    pattern.start();
    ProgramLogLayout layout = new ProgramLogLayout();
    layout.setContext(context);
    layout.start();
    ch.qos.logback.classic.Logger member = context.getLogger("io.ratisfailover.internal.control.MemberRuntime");
    ch.qos.logback.classic.Logger shortName = context.getLogger("Main");
    LoggingEvent[] events = {
        new LoggingEvent("x", member, Level.INFO, "member {} epoch {}: {}", null, new Object[] {"pg1", 7, "PRIMARY"}),
        new LoggingEvent("x", shortName, Level.WARN, "a warning", null, null),
        new LoggingEvent("x", member, Level.ERROR, "failed: {}", new IllegalStateException("boom",
            new java.io.IOException("cause")), new Object[] {"start"}),
    };
    for (LoggingEvent e : events) {
      e.setThreadName("ratis-failover-pg1-agent");
      assertThat(layout.doLayout(e)).isEqualTo(pattern.doLayout(e));
    }
  }

  @Test
  void anOperatorsConfigurationFileTakesPrecedence() {
    String before = System.getProperty("logback.configurationFile");
    System.setProperty("logback.configurationFile", "/etc/ratis-failover/logback.xml");
    try {
      LoggerContext context = new LoggerContext();
      ProgramLogging logging = new ProgramLogging();
      logging.setContext(context);
      assertThat(logging.configure(context)).isEqualTo(ExecutionStatus.INVOKE_NEXT_IF_ANY);
      assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("OUT")).isNull();
    } finally {
      if (before == null) {
        System.clearProperty("logback.configurationFile");
      } else {
        System.setProperty("logback.configurationFile", before);
      }
    }
  }
}

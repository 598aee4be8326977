package io.ratisfailover.node.config;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import org.slf4j.Logger;

/**
 * The programs' log (sidecar and witness), configured in code: transitions and decisions at INFO,
 * one line each, member and epoch first; Ratis at WARN. Logback finds this class through
 * {@code META-INF/services} before its XML configurator: reading a {@code logback.xml} loads some
 * 400 parser classes that would stay resident in the witness for nothing. An operator's
 * {@code -Dlogback.configurationFile=...} (and a test class path's {@code logback-test.xml}) still
 * take precedence, read by logback as usual.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class ProgramLogging extends ContextAwareBase implements Configurator {
  /** What each line holds, in logback's words; {@link ProgramLogLayout} writes it. */
  static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level [%thread] %logger{20} - %msg%n";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null
        || ProgramLogging.class.getClassLoader().getResource("logback-test.xml") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    ProgramLogLayout layout = new ProgramLogLayout();
    layout.setContext(context);
    layout.start();
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setContext(context);
    encoder.setLayout(layout);
    encoder.start();
    ConsoleAppender<ILoggingEvent> out = new ConsoleAppender<>();
    out.setContext(context);
    out.setName("OUT");
    out.setEncoder(encoder);
    out.start();
    context.getLogger("io.ratisfailover").setLevel(Level.INFO);
    context.getLogger("org.apache.ratis").setLevel(Level.WARN);
    // Logs every retried request (no leader yet, leader moved) as an ERROR; retries are expected.
    context.getLogger("org.apache.ratis.client.impl.OrderedAsync").setLevel(Level.OFF);
    ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.WARN);
    root.addAppender(out);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}

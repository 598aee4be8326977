package io.ratisfailover.node.config;

import ch.qos.logback.classic.pattern.TargetLengthBasedClassNameAbbreviator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * The line {@link ProgramLogging#PATTERN} describes, written directly: logback's pattern layout
 * loads some 150 classes (a converter and a lambda per conversion word it knows) that would stay
 * resident in the witness, 1.2 MB of its class metadata (issue 12).
 */
final class ProgramLogLayout extends LayoutBase<ILoggingEvent> {
  private final DateTimeFormatter time = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")
      .withZone(ZoneId.systemDefault());
  private final TargetLengthBasedClassNameAbbreviator loggerName = new TargetLengthBasedClassNameAbbreviator(20);

  @Override
  public String doLayout(ILoggingEvent event) {
    StringBuilder line = new StringBuilder(128);
    time.formatTo(Instant.ofEpochMilli(event.getTimeStamp()), line);
    String level = event.getLevel().toString();
    line.append(' ').append(level).append(" ".repeat(Math.max(0, 5 - level.length())))
        .append(" [").append(event.getThreadName()).append("] ")
        .append(loggerName.abbreviate(event.getLoggerName())).append(" - ")
        .append(event.getFormattedMessage()).append(CoreConstants.LINE_SEPARATOR);
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown != null) {
      line.append(ThrowableProxyUtil.asString(thrown));
    }
    return line.toString();
  }
}

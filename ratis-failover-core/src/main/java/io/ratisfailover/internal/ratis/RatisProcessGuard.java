package io.ratisfailover.internal.ratis;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.ratis.util.ExitUtils;

/**
 * Keeps Ratis from ending the host process. Left alone, Ratis calls {@code System.exit} when its
 * server cannot bind (a port in use), and, as soon as its {@code ExitUtils} class loads, replaces
 * the JVM's default uncaught-exception handler with one that exits on any uncaught exception in
 * any thread of the application. An embedded library must do neither: this turns Ratis' exits
 * into exceptions (which {@code FailoverMember.start} reports) and puts back the application's own
 * default handler. Both are JVM-wide by nature, hence done once.
 */
public final class RatisProcessGuard {
  private static final AtomicBoolean INSTALLED = new AtomicBoolean();

  private RatisProcessGuard() {}

  public static void install() {
    if (!INSTALLED.compareAndSet(false, true)) {
      return;
    }
    Thread.UncaughtExceptionHandler applications = Thread.getDefaultUncaughtExceptionHandler();
    ExitUtils.disableSystemExit();
    ExitUtils.setTerminateOnUncaughtException(false);
    Thread.setDefaultUncaughtExceptionHandler(applications);
  }
}

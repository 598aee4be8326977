package io.ratisfailover.witness;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Runs an action on each SIGHUP, the usual "re-read your configuration" signal, on a thread of its
 * own: the JVM's signal thread must not wait for clusters to start and stop.
 */
final class Hangup {
  private static final Logger log = LoggerFactory.getLogger(Hangup.class);

  private Hangup() {}

  static void onSignal(Runnable action) {
    try {
      Signal.handle(new Signal("HUP"), signal -> {
        Thread t = new Thread(action, "witness-reload");
        t.setDaemon(true);
        t.start();
      });
    } catch (IllegalArgumentException e) {
      // A JVM started with -Xrs, or a platform without SIGHUP: the reload stays available over HTTP.
      log.warn("witness: SIGHUP cannot be handled here ({}); reload with POST /clusters/reload", e.getMessage());
    }
  }
}

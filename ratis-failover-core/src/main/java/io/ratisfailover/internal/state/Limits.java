package io.ratisfailover.internal.state;

import io.ratisfailover.spi.DatabaseStatus;
import java.util.Map;
import java.util.Optional;

/**
 * Size caps on what a command may put into the replicated state (review 1.3): every member holds
 * the state, every snapshot carries it, so one member must not be able to bloat it. The state
 * machine refuses a command over a cap; the sender trims free text (reasons, database notes) to fit
 * before sending, so only a misconfiguration (huge tags or attributes) is ever refused.
 */
public final class Limits {
  static final int MAX_ENTRIES = 32;
  static final int MAX_KEY = 64;
  static final int MAX_VALUE = 512;
  static final int MAX_URL = 512;
  static final int MAX_TEXT = 1024;
  static final int MAX_REPLICAS = 64;

  private Limits() {}

  /** Why {@code command} is too large to apply; empty when it fits. */
  static Optional<String> oversized(Command command) {
    if (command instanceof Command.ReportStatus report) {
      if (report.apiUrl().length() > MAX_URL) {
        return Optional.of("api url is longer than " + MAX_URL + " characters");
      }
      Optional<String> map = oversized("attributes", report.attributes());
      if (map.isEmpty()) {
        map = oversized("custom tags", report.tags().custom());
      }
      if (map.isPresent()) {
        return map;
      }
      if (report.status().isPresent()) {
        DatabaseStatus status = report.status().get();
        if (status.detail().length() > MAX_TEXT) {
          return Optional.of("database detail is longer than " + MAX_TEXT + " characters");
        }
        if (status.replicas().size() > MAX_REPLICAS) {
          return Optional.of("more than " + MAX_REPLICAS + " replicas reported");
        }
      }
    } else if (command instanceof Command.Release release && release.reason().length() > MAX_TEXT) {
      return Optional.of("release reason is longer than " + MAX_TEXT + " characters");
    } else if (command instanceof Command.Elect elect && elect.reason().length() > MAX_TEXT) {
      return Optional.of("election reason is longer than " + MAX_TEXT + " characters");
    }
    return Optional.empty();
  }

  private static Optional<String> oversized(String what, Map<String, String> map) {
    if (map.size() > MAX_ENTRIES) {
      return Optional.of(what + ": " + map.size() + " entries, more than " + MAX_ENTRIES);
    }
    for (Map.Entry<String, String> e : map.entrySet()) {
      if (e.getKey().length() > MAX_KEY || e.getValue().length() > MAX_VALUE) {
        return Optional.of(what + ": an entry is longer than " + MAX_KEY + " characters (key) or " + MAX_VALUE
            + " (value)");
      }
    }
    return Optional.empty();
  }

  /** {@code command} with its free text cut to the caps; other fields unchanged. */
  public static Command trimmed(Command command) {
    if (command instanceof Command.ReportStatus r && r.status().filter(s -> s.detail().length() > MAX_TEXT).isPresent()) {
      DatabaseStatus s = r.status().get();
      DatabaseStatus cut = s.withDetail(cut(s.detail()));
      return new Command.ReportStatus(r.tags(), r.apiUrl(), r.attributes(), Optional.of(cut), r.appliedIndex(),
          r.sampledAfterIndex());
    }
    if (command instanceof Command.Release r && r.reason().length() > MAX_TEXT) {
      return new Command.Release(r.epoch(), r.lsn(), cut(r.reason()), r.silentFor());
    }
    if (command instanceof Command.Elect e && e.reason().length() > MAX_TEXT) {
      return new Command.Elect(e.candidate(), e.epoch(), e.expectedRenewalIndex(), e.cause(), cut(e.reason()),
          e.predecessorSilent());
    }
    return command;
  }

  private static String cut(String text) {
    return text.substring(0, MAX_TEXT - 1) + "…";
  }
}

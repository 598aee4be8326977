package io.ratisfailover.internal.control;

import io.ratisfailover.MemberId;
import io.ratisfailover.Timing;
import io.ratisfailover.internal.state.Command;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What this node learned from each member's last applied report, and how far behind this node's
 * log the reporter's was when it sent it. Loop thread only.
 */
final class AppliedReports {
  private final Timing timing;
  private final Map<MemberId, Report> reports = new HashMap<>();
  /** For each member, the log index it had applied when it started observing the status of its last report. */
  private final Map<MemberId, Long> sampledAfter = new HashMap<>();
  /** This node's tick when it applied each recent log entry: how far behind a reporting member's log is. */
  private final TreeMap<Long, Long> appliedTicks = new TreeMap<>();

  AppliedReports(Timing timing) {
    this.timing = timing;
  }

  /** Each member's last report; a live view, copied by whoever keeps it. */
  Map<MemberId, Report> reports() {
    return reports;
  }

  void rememberAppliedAt(long index, long now) {
    appliedTicks.put(index, now);
    long horizon = now - 2 * timing.ttl().toNanos();
    while (!appliedTicks.isEmpty() && appliedTicks.firstEntry().getValue() - horizon < 0) {
      appliedTicks.pollFirstEntry();
    }
  }

  /** {@code member}'s report was applied at tick {@code now}. */
  void reported(MemberId member, Command.ReportStatus report, long now) {
    reports.put(member, new Report(now, logLag(report, now)));
    if (report.sampledAfterIndex().isPresent()) {
      sampledAfter.put(member, report.sampledAfterIndex().getAsLong());
    } else {
      sampledAfter.remove(member);
    }
  }

  /** When each member's last reported status was observed, as a log index it had applied by then. */
  Map<MemberId, Long> sampledAfter() {
    return sampledAfter;
  }

  /** The state was replaced wholesale: per-entry apply times are unknown, and no report counts as fresh. */
  void clear() {
    reports.clear();
    sampledAfter.clear();
    appliedTicks.clear();
  }

  /** How far the reporter's log was behind this node's when it sent {@code report}. */
  private long logLag(Command.ReportStatus report, long now) {
    if (report.appliedIndex().isEmpty()) {
      return Report.LAG_UNKNOWN;
    }
    Long at = appliedTicks.get(report.appliedIndex().getAsLong());
    return at == null ? Report.LAG_UNKNOWN : Math.max(0, now - at);
  }
}

package io.ratisfailover.internal.control;

/**
 * What this node learned from a member's last status report, on its own ticker.
 *
 * @param appliedAt when this node applied the report
 * @param logLagNanos how far the member's own Raft log was behind when it sent the report: the time
 *     between this node applying the last entry the member had applied and applying the report;
 *     {@link #LAG_UNKNOWN} when that entry is older than this node remembers (or the member did not say)
 */
public record Report(long appliedAt, long logLagNanos) {
  public static final long LAG_UNKNOWN = Long.MAX_VALUE;
}

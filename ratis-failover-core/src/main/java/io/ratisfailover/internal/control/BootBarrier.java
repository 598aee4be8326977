package io.ratisfailover.internal.control;

/**
 * The agent and arbiter act only once this member has applied the log up to the index at which
 * its own first report was committed: before that, its view of the cluster may be older than
 * decisions others already took. Loop thread only.
 */
final class BootBarrier {
  private long index = -1;
  private boolean passed;

  boolean passed() {
    return passed;
  }

  /** The first committed report sets the barrier; later ones change nothing. */
  void reportCommitted(long reportIndex, long appliedIndex) {
    if (!passed && index < 0) {
      index = reportIndex;
      passed = appliedIndex >= index;
    }
  }

  /** Whether applying {@code appliedIndex} is what passes the barrier. */
  boolean passesAt(long appliedIndex) {
    if (passed || index < 0 || appliedIndex < index) {
      return false;
    }
    passed = true;
    return true;
  }
}

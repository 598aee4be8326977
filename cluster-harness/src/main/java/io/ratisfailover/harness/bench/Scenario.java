package io.ratisfailover.harness.bench;

import java.nio.file.Path;
import java.util.Map;

/** One benchmark scenario: sets up a cluster, provokes one event, measures what a client would see. */
public interface Scenario {
  /** Short name used on the command line and in the results, for example {@code raft-member-crash}. */
  String name();

  /** What happens in one run, in words. */
  String description();

  /**
   * Runs once in a fresh directory and returns its measurements by metric name (milliseconds end
   * in {@code _ms}; counts are plain numbers).
   *
   * @throws Exception anything that makes the run void; the benchmark reports it and goes on
   */
  Map<String, Double> run(Path workDir) throws Exception;
}

package io.ratisfailover.probe;

import java.util.concurrent.CompletableFuture;

/** What a probe connection's handler answers through: one member's API, or a witness's clusters. */
interface Endpoint {
  /**
   * The answer to {@code request}; the future never completes exceptionally. {@code counted} false
   * keeps the answer out of the metrics (the probe's own warm-up connections).
   */
  CompletableFuture<Answer> handle(ProbeRequest request, boolean counted);

  /** A one-line JSON error. */
  Answer error(int status, String message);

  /** Counts an answer the handler gave itself (a malformed request). */
  void answered(int status);

  /** Counts a connection refused by the limits. */
  void connectionRejected();
}

package io.ratisfailover.postgres.bench;

import io.ratisfailover.postgres.testing.PgSandbox;

/** A {@link PgSandbox} outside JUnit, for one benchmark body: whatever happens, every process it started is killed by its PID. */
final class BenchmarkSandbox {
  /** What runs inside the sandbox. */
  interface Body<T> {
    T run(PgSandbox sandbox) throws Exception;
  }

  private BenchmarkSandbox() {}

  static <T> T run(Body<T> body) throws Exception {
    PgSandbox sandbox = new PgSandbox();
    sandbox.open();
    // An exception, or Ctrl-C (the shutdown hook).
    Thread cleanup = new Thread(() -> {
      sandbox.endTest();
      sandbox.close();
    }, "benchmark-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      sandbox.beginTest();
      return body.run(sandbox);
    } finally {
      sandbox.endTest();
      sandbox.close();
      Runtime.getRuntime().removeShutdownHook(cleanup);
    }
  }
}

package io.ratisfailover.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.MemberId;
import io.ratisfailover.Timing;
import io.ratisfailover.postgres.internal.ProcFs;
import io.ratisfailover.postgres.testing.AgentJvm;
import io.ratisfailover.postgres.testing.Db;
import io.ratisfailover.postgres.testing.PgSandbox;
import io.ratisfailover.postgres.testing.Writer;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.Ports;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The postmaster guard on real PostgreSQL, with the agent in a JVM of its own that the test kills
 * or stops for real, and a client that writes to the server directly every 10 ms.
 */
class PostmasterGuardTest {
  @RegisterExtension
  static final PgSandbox sandbox = new PgSandbox();

  static final Duration WRITE_EVERY = Duration.ofMillis(10);
  static final Duration PATIENCE = Duration.ofSeconds(20);
  /** The safety bound: a dead agent's server must refuse writes before another member may promote. */
  static final Duration LEASE = Timing.defaults().leaseDuration();
  /** A deadline far away: when the server stops after a kill -9, the closed pipe did it, not the deadline. */
  static final Duration FAR = Duration.ofSeconds(60);
  /** How late after its deadline the guard may be seen to fire: scheduling, and one write attempt or two. */
  static final Duration SLACK = Duration.ofMillis(100);
  /** Runs of the kill -9 measurement; {@code ./run-benchmark --suite guard N} asks for more. */
  static final int KILL_RUNS = Integer.getInteger("guard.runs", 5);

  record Started(AgentJvm agent, PostgresConfig config, Writer writer) {}

  Started start(String name, String mode, Duration deadline) throws Exception {
    Path data = sandbox.copyOfTemplate(name);
    int port = Ports.free(1)[0];
    AgentJvm agent = AgentJvm.start(sandbox, data, port, mode, deadline);
    PostgresConfig config = PgSandbox.config(data, port).build();
    return new Started(agent, config, directWriter(config));
  }

  /** A client writing to {@code server} directly every 10 ms, once its first write went through. */
  static Writer directWriter(PostgresConfig server) throws Exception {
    Writer.createTable(server);
    Writer writer = sandbox.closeAfterTest(new Writer(() -> Optional.of(server), WRITE_EVERY, Duration.ofSeconds(5)).start());
    long since = System.nanoTime();
    Await.until("the first direct write", PATIENCE, () -> writer.acknowledgedSince(since) > 0);
    return writer;
  }

  /** Waits until the server has refused 30 writes in a row since {@code since}; returns how long after {@code since} it began to. */
  static long refusedAfterMillis(Writer writer, long since) {
    Await.until("writes refused", PATIENCE, () -> writer.refusedInARowSince(since) >= 30, writer::toString);
    return TimeUnit.NANOSECONDS.toMillis(writer.refusingSince(since).orElseThrow() - since);
  }

  @Test
  void killingTheArmedAgentStopsItsServerFarWithinTheLease() throws Exception {
    List<Long> figures = new ArrayList<>();
    List<Long> reaped = new ArrayList<>();
    List<Long> fired = new ArrayList<>();
    for (int run = 0; run < KILL_RUNS; run++) {
      Started s = start("kill-" + run, "armed", FAR);
      long killedAtWall = System.currentTimeMillis();
      long killedAt = System.nanoTime();
      s.agent().killHard();
      // The kernel closes the pipe only as the killed JVM's exit ends.
      reaped.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));
      long refused = refusedAfterMillis(s.writer(), killedAt);
      figures.add(refused);
      fired.add(guardFiredAtWall(s.config()) - killedAtWall);
      Await.until("the postmaster exited", PATIENCE, () -> !ProcFs.alive(s.agent().postmasterPid()));
      assertThat(refused).as("kill -9 to writes refused, run " + run).isLessThan(LEASE.toMillis());
      sandbox.cleanUp();
    }
    System.out.printf("postmaster guard: kill -9 of the armed agent -> writes refused (ms, %d runs): %s, all %s; "
        + "the killed JVM reaped: %s, all %s; the guard fired (its log's clock, ms steps): %s, all %s%n", KILL_RUNS,
        medianAndWorst(figures), figures, medianAndWorst(reaped), reaped, medianAndWorst(fired), fired);
  }

  /** When the guard logged that it fenced the server, by the wall clock (its lines carry local time to the ms). */
  static long guardFiredAtWall(PostgresConfig config) throws IOException {
    String line = Files.readAllLines(config.serverLog()).stream()
        .filter(l -> l.contains("postmaster-guard") && l.contains("fenced the server")).reduce((a, b) -> b).orElseThrow();
    return LocalDateTime.parse(line.substring(0, 23).replace(' ', 'T'))
        .atZone(ZoneId.systemDefault()).toInstant().toEpochMilli();
  }

  static String medianAndWorst(List<Long> millis) {
    List<Long> sorted = millis.stream().sorted().toList();
    return "median " + sorted.get(sorted.size() / 2) + ", worst " + sorted.get(sorted.size() - 1);
  }

  @Test
  void stoppingTheArmedAgentStopsItsServerAtTheDeadline() throws Exception {
    Duration deadline = Duration.ofMillis(1500);
    Started s = start("stop", "armed", deadline);
    long stoppedAt = System.nanoTime();
    s.agent().stop();
    long refused = refusedAfterMillis(s.writer(), stoppedAt);
    long lastKeepAlive = s.agent().lastKeepAliveNanos();
    long sinceKeepAlive = TimeUnit.NANOSECONDS.toMillis(s.writer().refusingSince(stoppedAt).orElseThrow() - lastKeepAlive);
    System.out.printf("postmaster guard: SIGSTOP of the armed agent -> writes refused %d ms after the stop, %d ms after "
        + "its last keep-alive (deadline %d ms)%n", refused, sinceKeepAlive, deadline.toMillis());
    // The guard fires at the deadline its last keep-alive set, not later; the writer sees it within
    // an attempt or two. Nor does it fire much before: the agent ran until the stop.
    assertThat(sinceKeepAlive).isBetween(deadline.toMillis() - 50, deadline.toMillis() + SLACK.toMillis());
  }

  @Test
  void aDisarmedServerOutlivesItsAgent() throws Exception {
    Started s = start("standby", "disarmed", Duration.ofMillis(300));
    long killedAt = System.nanoTime();
    s.agent().killHard();
    Await.until("the guard ended with its pipe", PATIENCE, () -> !ProcFs.alive(s.agent().guardPid()));
    long guardGone = System.nanoTime();
    // Well past the deadline it was once armed with, the server still commits every write.
    Await.until("writes for a second after the guard ended", PATIENCE,
        () -> System.nanoTime() - guardGone > TimeUnit.SECONDS.toNanos(1) && s.writer().acknowledgedSince(guardGone) > 20);
    assertThat(s.writer().refusingSince(killedAt)).isEmpty();
    assertThat(ProcFs.alive(s.agent().postmasterPid())).isTrue();
  }

  /** What the guard is for: without it, a primary's server outlives its killed agent and keeps committing. */
  @Test
  void withoutAGuardAKilledPrimaryAgentLeavesAWritableServer() throws Exception {
    Started s = start("unguarded", "unguarded", FAR);
    long killedAt = System.nanoTime();
    s.agent().killHard();
    Await.until("writes for a second after the kill", PATIENCE,
        () -> System.nanoTime() - killedAt > TimeUnit.SECONDS.toNanos(1) && s.writer().acknowledgedSince(killedAt) > 20);
    assertThat(s.writer().refusingSince(killedAt)).isEmpty();
  }

  @Test
  void aGuardThatDiesIsReplacedAndKeepsItsDeadline() throws Exception {
    Path data = sandbox.copyOfTemplate("restart");
    PostgresConfig config = sandbox.config(data).build();
    PostgresAdapter adapter = sandbox.adapter("pg1", config);
    adapter.startPrimary(PgSandbox.topology(1));
    PostmasterGuard guard = sandbox.closeAfterTest(PostmasterGuard.start(MemberId.of("pg1"), config));
    Writer writer = directWriter(config);
    Duration deadline = Duration.ofMillis(1500);
    long armedAt = System.nanoTime();
    guard.arm(deadline);
    long first = guard.pid().orElseThrow();
    ProcessHandle.of(first).ifPresent(ProcessHandle::destroyForcibly);
    long second = Await.value("a new guard", PATIENCE, () -> guard.pid().filter(p -> p != first).orElse(null));
    // The new guard holds the old deadline: with no further keep-alive, the server stops at it.
    long refused = refusedAfterMillis(writer, armedAt);
    assertThat(refused).isBetween(deadline.toMillis() - 50, deadline.toMillis() + SLACK.toMillis());
    assertThat(ProcFs.alive(second)).isTrue();
    assertThat(Db.valueOrNull(config, "SELECT 1")).isNull();
  }

  @Test
  void aStoppedGuardIsReplacedAtTheNextKeepAlive() throws Exception {
    Path data = sandbox.copyOfTemplate("stopped-guard");
    PostgresConfig config = sandbox.config(data).build();
    sandbox.adapter("pg1", config).startPrimary(PgSandbox.topology(1));
    PostmasterGuard guard = sandbox.closeAfterTest(PostmasterGuard.start(MemberId.of("pg1"), config));
    guard.arm(FAR);
    long first = guard.pid().orElseThrow();
    sandbox.closeAfterTest(() -> ProcessHandle.of(first).ifPresent(ProcessHandle::destroyForcibly));
    assertThat(PgSandbox.run(List.of("kill", "-STOP", Long.toString(first)))).isZero();
    Await.until("the guard stopped", PATIENCE, () -> ProcFs.stopped(first));
    guard.keepAlive(FAR);
    assertThat(guard.pid()).isPresent().get().isNotEqualTo(first);
    Await.until("the stopped guard killed", PATIENCE, () -> !ProcFs.alive(first));
    // Closing disarms the replacement before it ends it: the server keeps running.
    Writer writer = directWriter(config);
    long closedAt = System.nanoTime();
    guard.close();
    Await.until("writes after the guard closed disarmed", PATIENCE, () -> writer.acknowledgedSince(closedAt) > 20);
  }
}

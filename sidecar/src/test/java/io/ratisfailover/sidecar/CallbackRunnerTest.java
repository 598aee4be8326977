package io.ratisfailover.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.ratisfailover.Epoch;
import io.ratisfailover.LocalRole;
import io.ratisfailover.MemberId;
import io.ratisfailover.RoleChange;
import io.ratisfailover.node.config.Callbacks;
import io.ratisfailover.node.config.Callbacks.Action;
import io.ratisfailover.spi.DatabaseAdapter;
import io.ratisfailover.spi.DatabaseException;
import io.ratisfailover.spi.DatabaseStatus;
import io.ratisfailover.spi.FenceMode;
import io.ratisfailover.spi.PrimaryTopology;
import io.ratisfailover.spi.Promotion;
import io.ratisfailover.spi.Upstream;
import io.ratisfailover.testing.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The callbacks as the sidecar runs them: arguments, order, timeouts, failures, and never on the caller's thread. */
class CallbackRunnerTest {
  static final Duration WAIT = Duration.ofSeconds(20);
  static final MemberId PG1 = MemberId.of("pg1");

  @TempDir Path dir;
  final List<CallbackRunner> runners = new ArrayList<>();
  final ListAppender<ILoggingEvent> log = new ListAppender<>();
  final Logger logger = (Logger) LoggerFactory.getLogger(CallbackRunner.class);

  @BeforeEach
  void captureLog() {
    log.start();
    logger.addAppender(log);
  }

  @AfterEach
  void stop() {
    // Kills, by PID, whatever a test left running.
    runners.forEach(r -> r.close(Duration.ZERO));
    logger.detachAppender(log);
  }

  Path script(String name, String body) throws IOException {
    Path file = dir.resolve(name);
    Files.writeString(file, "#!/bin/sh\n" + body + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    return file;
  }

  CallbackRunner runner(Duration timeout, Map<Action, String> commands) {
    Map<Action, List<String>> words = new EnumMap<>(Action.class);
    commands.forEach((a, c) -> words.put(a, List.of(c.split(" "))));
    CallbackRunner r = new CallbackRunner(PG1, "orders", new Callbacks(words, timeout));
    runners.add(r);
    return r;
  }

  static CallbackRunner.Result result(CompletableFuture<CallbackRunner.Result> f) throws Exception {
    return f.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
  }

  List<String> messages(Level level) {
    return log.list.stream().filter(e -> e.getLevel() == level).map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Test
  void aCommandGetsActionRoleAndClusterAndItsOutputIsLogged() throws Exception {
    Path s = script("hook", "echo \"args: $*\"");
    CallbackRunner r = runner(Duration.ofSeconds(10), Map.of(Action.ON_ROLE_CHANGE, s + " --vip 10.0.0.9"));
    assertThat(result(r.fire(Action.ON_ROLE_CHANGE, "primary")))
        .isEqualTo(new CallbackRunner.Result(Action.ON_ROLE_CHANGE, "primary", CallbackRunner.Outcome.EXITED, OptionalInt.of(0)));
    assertThat(messages(Level.INFO)).contains("member pg1: callback on_role_change primary: args: --vip 10.0.0.9 on_role_change primary orders");
  }

  @Test
  void anActionWithoutACommandRunsNothing() throws Exception {
    CallbackRunner r = runner(Duration.ofSeconds(10), Map.of());
    assertThat(result(r.fire(Action.ON_STOP, "replica")).outcome()).isEqualTo(CallbackRunner.Outcome.NOT_CONFIGURED);
  }

  @Test
  void aMemberThatNeverTookARoleRunsNoOnStop() throws Exception {
    Path record = dir.resolve("record");
    Path s = script("recorder", "echo \"$1 $2\" >> " + record);
    new RoleCallbacks(runner(Duration.ofSeconds(10), Map.of(Action.ON_STOP, s.toString()))).stopped();
    assertThat(record).doesNotExist();
  }

  @Test
  void aNonZeroExitIsLoggedAsAWarning() throws Exception {
    Path s = script("fails", "echo cannot reach pgbouncer >&2; exit 3");
    CallbackRunner r = runner(Duration.ofSeconds(10), Map.of(Action.ON_START, s.toString()));
    assertThat(result(r.fire(Action.ON_START, "replica")).exitCode()).hasValue(3);
    assertThat(messages(Level.WARN)).containsExactly("member pg1: callback on_start replica exited with status 3");
    assertThat(messages(Level.INFO)).contains("member pg1: callback on_start replica: cannot reach pgbouncer");
  }

  @Test
  void aCommandThatCannotStartIsLogged() throws Exception {
    CallbackRunner r = runner(Duration.ofSeconds(10), Map.of(Action.ON_START, dir.resolve("missing").toString()));
    assertThat(result(r.fire(Action.ON_START, "replica")).outcome()).isEqualTo(CallbackRunner.Outcome.NOT_STARTED);
    assertThat(messages(Level.WARN)).singleElement().asString().contains("could not start " + dir.resolve("missing"));
  }

  @Test
  void aCommandRunningPastTheTimeoutIsKilledWithWhatItStarted() throws Exception {
    Path child = dir.resolve("child.pid");
    Path s = script("hangs", "sleep 60 & echo $! > " + child + "; wait");
    CallbackRunner r = runner(Duration.ofMillis(500), Map.of(Action.ON_ROLE_CHANGE, s.toString()));
    CompletableFuture<CallbackRunner.Result> f = r.fire(Action.ON_ROLE_CHANGE, "demoted");
    assertThat(result(f).outcome()).isEqualTo(CallbackRunner.Outcome.TIMED_OUT);
    long sleepPid = Long.parseLong(Files.readString(child).strip());
    Await.until("the hook's sleep " + sleepPid + " killed", WAIT,
        () -> ProcessHandle.of(sleepPid).map(p -> !p.isAlive()).orElse(true));
    assertThat(messages(Level.WARN)).singleElement().asString()
        .startsWith("member pg1: callback on_role_change demoted ran longer than PT0.5S and was killed (pid ");
  }

  @Test
  void firingNeverWaitsForTheCommand() throws Exception {
    Path s = script("slow", "sleep 60");
    CallbackRunner r = runner(Duration.ofSeconds(90), Map.of(Action.ON_ROLE_CHANGE, s.toString()));
    long before = System.nanoTime();
    CompletableFuture<CallbackRunner.Result> f = r.fire(Action.ON_ROLE_CHANGE, "primary");
    // Returns while the command runs: the agent's thread is never held.
    assertThat(f).isNotDone();
    assertThat(Duration.ofNanos(System.nanoTime() - before)).isLessThan(Duration.ofSeconds(30));
  }

  @Test
  void callbacksRunInTheOrderFiredAndANewerOneReplacesOneStillRunning() throws Exception {
    Path record = dir.resolve("record");
    Path started = dir.resolve("started");
    Path s = script("recorder", "echo \"$2 $1\" >> " + record + "; touch " + started + "; [ \"$1\" = on_start ] && sleep 60; exit 0");
    CallbackRunner r = runner(Duration.ofSeconds(90), Map.of(Action.ON_START, s.toString(),
        Action.ON_ROLE_CHANGE, s.toString(), Action.ON_RELOAD, s.toString()));
    CompletableFuture<CallbackRunner.Result> start = r.fire(Action.ON_START, "replica");
    Await.until("on_start running", WAIT, () -> Files.exists(started));
    // The role changed while on_start still runs: on_start is out of date and is killed.
    CompletableFuture<CallbackRunner.Result> promoted = r.fire(Action.ON_ROLE_CHANGE, "primary");
    CompletableFuture<CallbackRunner.Result> reloaded = r.fire(Action.ON_RELOAD, "primary");
    assertThat(result(start).outcome()).isEqualTo(CallbackRunner.Outcome.SUPERSEDED);
    assertThat(result(reloaded).outcome()).isEqualTo(CallbackRunner.Outcome.EXITED);
    assertThat(result(promoted).outcome()).isIn(CallbackRunner.Outcome.EXITED, CallbackRunner.Outcome.SUPERSEDED);
    List<String> lines = Files.readAllLines(record);
    assertThat(lines.get(0)).isEqualTo("replica on_start");
    assertThat(lines.get(lines.size() - 1)).isEqualTo("primary on_reload");
    assertThat(lines).isSubsetOf("replica on_start", "primary on_role_change", "primary on_reload").doesNotHaveDuplicates();
  }

  @Test
  void rolesMapToPatronisNamesAndOnlyRealChangesFire() throws Exception {
    Path record = dir.resolve("record");
    Path s = script("recorder", "echo \"$1 $2 $3\" >> " + record);
    CallbackRunner r = runner(Duration.ofSeconds(10), Map.of(Action.ON_START, s.toString(),
        Action.ON_ROLE_CHANGE, s.toString(), Action.ON_STOP, s.toString()));
    RoleCallbacks callbacks = new RoleCallbacks(r);
    LocalRole[] path = {LocalRole.STARTING, LocalRole.REPLICA, LocalRole.CANDIDATE, LocalRole.PRIMARY, LocalRole.DEMOTING,
        LocalRole.REPLICA};
    int[] recorded = {0, 1, 1, 2, 3, 4};
    for (int i = 1; i < path.length; i++) {
      callbacks.roleChanged(new RoleChange(PG1, path[i - 1], path[i], Epoch.of(i), "test", Instant.EPOCH));
      // One at a time, so that no callback replaces the one before.
      int expected = recorded[i];
      Await.until(expected + " callbacks recorded", WAIT, () -> lines(record).size() == expected, () -> lines(record).toString());
    }
    callbacks.stopped();
    assertThat(lines(record)).containsExactly("on_start replica orders", "on_role_change primary orders",
        "on_role_change demoted orders", "on_role_change replica orders", "on_stop replica orders");
  }

  static List<String> lines(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file) : List.of();
    } catch (IOException e) {
      return List.of();
    }
  }

  @Test
  void aRestartOrReloadThatSucceededFiresItsCallbackWithTheRoleAndAFailedOneNothing() throws Exception {
    Path record = dir.resolve("record");
    Path s = script("recorder", "echo \"$1 $2\" >> " + record);
    CallbackRunner r = runner(Duration.ofSeconds(10), Map.of(Action.ON_RESTART, s.toString(), Action.ON_RELOAD, s.toString()));
    RoleCallbacks callbacks = new RoleCallbacks(r);
    callbacks.roleChanged(new RoleChange(PG1, LocalRole.STARTING, LocalRole.REPLICA, Epoch.of(1), "test", Instant.EPOCH));
    boolean[] failRestart = {false};
    DatabaseAdapter adapter = new CallbackDatabase(new DatabaseAdapter() {
      @Override public DatabaseStatus status() { throw new UnsupportedOperationException(); }
      @Override public void bootstrap(PrimaryTopology topology) {}
      @Override public void startReplica(Optional<Upstream> upstream) {}
      @Override public void promote(Promotion promotion) {}
      @Override public void startPrimary(PrimaryTopology topology) {}
      @Override public void configurePrimary(PrimaryTopology topology) {}
      @Override public void fence(FenceMode mode) {}
      @Override public void restart() throws DatabaseException {
        if (failRestart[0]) {
          throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "not running");
        }
      }
    }, callbacks);
    adapter.restart();
    Await.until("on_restart recorded", WAIT, () -> lines(record).size() == 1);
    adapter.reload();
    Await.until("on_reload recorded", WAIT, () -> lines(record).size() == 2);
    failRestart[0] = true;
    assertThatThrownBy(adapter::restart).isInstanceOf(DatabaseException.class);
    callbacks.stopped();
    assertThat(lines(record)).containsExactly("on_restart replica", "on_reload replica");
  }
}

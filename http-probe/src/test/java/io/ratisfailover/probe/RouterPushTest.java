package io.ratisfailover.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.testing.Await;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The push to HAProxy's runtime API, against a fake runtime API on a unix socket that records each command line. */
class RouterPushTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir
  Path dir;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final List<AutoCloseable> open = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    timer.shutdownNow();
  }

  /** Answers each command line with {@code answer.apply(line)}, or never when it returns null. */
  private final class FakeRuntimeApi implements AutoCloseable {
    final List<String> lines = new CopyOnWriteArrayList<>();
    final Path socket = dir.resolve("admin-" + System.nanoTime() + ".sock");
    private final ServerSocketChannel server;
    private final Thread thread;

    FakeRuntimeApi(Function<String, String> answer) throws IOException {
      server = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(socket));
      thread = new Thread(() -> {
        while (server.isOpen()) {
          try (SocketChannel c = server.accept()) {
            ByteBuffer in = ByteBuffer.allocate(4096);
            while (in.position() == 0 || in.get(in.position() - 1) != '\n') {
              if (c.read(in) < 0) {
                break;
              }
            }
            String line = new String(in.array(), 0, in.position(), StandardCharsets.US_ASCII).strip();
            lines.add(line);
            String reply = answer.apply(line);
            if (reply == null) {
              c.read(ByteBuffer.allocate(1)); // returns when the client gives up and closes
              continue;
            }
            c.write(ByteBuffer.wrap(reply.getBytes(StandardCharsets.US_ASCII)));
          } catch (IOException | RuntimeException e) {
            // Closed, or the client went away: take the next one.
          }
        }
      }, "fake-haproxy-runtime-api");
      thread.setDaemon(true);
      thread.start();
      open.add(this);
    }

    HaproxyPush.RuntimeApi address() {
      return HaproxyPush.RuntimeApi.parse("unix:" + socket);
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  private RouterPush push(List<HaproxyPush.RuntimeApi> apis, AtomicBoolean serving) {
    return push(apis, serving, Duration.ofMillis(300));
  }

  private RouterPush push(List<HaproxyPush.RuntimeApi> apis, AtomicBoolean serving, Duration timeout) {
    FakeMember member = new FakeMember(Scene.cluster().primary("pg1", 10 << 20).replica("pg2", 10 << 20, 8 << 20)
        .replica("pg3", 10 << 20, 8 << 20).witness("w1").as("pg1"));
    RouterPush push = new RouterPush(member, new HaproxyPush(apis, "primary", Map.of("pg3", "db3"), timeout),
        serving::get, timer);
    open.add(push);
    return push;
  }

  @Test
  void aNewPrimaryMarksTheOthersDownThenItselfUpAndADemotedOneItselfDown() throws IOException {
    FakeRuntimeApi haproxy = new FakeRuntimeApi(line -> "\n");
    AtomicBoolean serving = new AtomicBoolean(false);
    RouterPush push = push(List.of(haproxy.address()), serving);
    push.check();
    serving.set(true);
    push.check();
    push.check();
    Await.until("two command lines", WAIT, () -> haproxy.lines.size() >= 2);
    assertThat(haproxy.lines).containsExactly(
        "set server primary/pg2 health down; set server primary/db3 health down",
        "set server primary/pg1 health up");
    serving.set(false);
    push.check();
    Await.until("a third command line", WAIT, () -> haproxy.lines.size() >= 3);
    assertThat(haproxy.lines.get(2)).isEqualTo("set server primary/pg1 health down");
  }

  @Test
  void anElectedMemberHoldingItsLeaseMarksTheOthersDownBeforeItPromotesOncePerEpoch() throws IOException {
    FakeRuntimeApi haproxy = new FakeRuntimeApi(line -> "\n");
    Scene elected = Scene.cluster().primary("pg1", 10 << 20).replica("pg2", 10 << 20, 8 << 20).witness("w1").promoting();
    FakeMember member = new FakeMember(elected.as("pg1").leaseRemaining(Duration.ZERO));
    RouterPush push = new RouterPush(member, new HaproxyPush(List.of(haproxy.address()), "primary", Map.of(),
        Duration.ofMillis(300)), () -> false, timer);
    open.add(push);
    push.check(); // elected, but its lease may not be granted yet: the old primary could still hold one
    member.show(elected.as("pg1"));
    push.check();
    push.check();
    Await.until("a command line", WAIT, () -> !haproxy.lines.isEmpty());
    push.check();
    assertThat(haproxy.lines).containsExactly("set server primary/pg2 health down");
  }

  @Test
  void whenHaproxyRefusesToMarkTheOthersDownTheNewPrimaryWaitsForItsChecks() throws IOException {
    FakeRuntimeApi haproxy = new FakeRuntimeApi(line -> line.contains("pg2") ? "No such server.\n\n" : "\n");
    AtomicBoolean serving = new AtomicBoolean(true);
    RouterPush push = push(List.of(haproxy.address()), serving);
    push.check();
    serving.set(false);
    push.check();
    // Pushes to one HAProxy run in order: once the second edge's line arrives, the first edge is done.
    Await.until("two command lines", WAIT, () -> haproxy.lines.size() >= 2);
    assertThat(haproxy.lines).containsExactly(
        "set server primary/pg2 health down; set server primary/db3 health down",
        "set server primary/pg1 health down");
  }

  @Test
  void aSilentHaproxyCostsItsTimeoutAndDelaysNoOtherHaproxy() throws IOException {
    FakeRuntimeApi silent = new FakeRuntimeApi(line -> null);
    FakeRuntimeApi answering = new FakeRuntimeApi(line -> "\n");
    AtomicBoolean serving = new AtomicBoolean(true);
    long start = System.nanoTime();
    push(List.of(silent.address(), answering.address()), serving, Duration.ofSeconds(5)).check();
    Await.until("the answering HAProxy to be told", WAIT, () -> answering.lines.size() >= 2);
    // Behind the silent one, it would wait for its 5 s timeout.
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2500));
    // The silent one reads its line on a thread of its own, possibly after the answering one was told.
    Await.until("the silent HAProxy to receive its line", WAIT, () -> !silent.lines.isEmpty());
    assertThat(silent.lines).hasSize(1);
  }

  @Test
  void theClientGivesUpOnASilentHaproxyAfterItsTimeout() throws IOException {
    FakeRuntimeApi silent = new FakeRuntimeApi(line -> null);
    long start = System.nanoTime();
    assertThatThrownBy(() -> new RuntimeApiClient(timer).send(silent.address(), "show info", Duration.ofMillis(200)))
        .isInstanceOf(IOException.class).hasMessageContaining("no answer within 200 ms");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(150), Duration.ofSeconds(2));
    assertThatThrownBy(() -> new RuntimeApiClient(timer).send(HaproxyPush.RuntimeApi.parse("unix:" + dir.resolve("none")),
        "show info", Duration.ofMillis(200))).isInstanceOf(IOException.class);
  }
}

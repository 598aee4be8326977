package io.ratisfailover.probe;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Sends one line of commands to an HAProxy runtime API in its non-interactive mode (HAProxy answers,
 * then closes) and returns the answer. The whole exchange is bounded: a timer closes the channel,
 * which ends a blocked connect, write or read.
 */
final class RuntimeApiClient {
  private static final int MAX_ANSWER_BYTES = 64 * 1024;

  private final ScheduledExecutorService timer;

  RuntimeApiClient(ScheduledExecutorService timer) {
    this.timer = timer;
  }

  /**
   * @param commands one or more commands separated by {@code ;}, without the newline
   * @throws IOException when HAProxy cannot be reached or does not answer within {@code timeout}
   */
  String send(HaproxyPush.RuntimeApi api, String commands, Duration timeout) throws IOException {
    SocketAddress address = api.unixSocket().<SocketAddress>map(UnixDomainSocketAddress::of)
        .orElseGet(() -> new InetSocketAddress(api.host().orElseThrow(), api.port()));
    try (SocketChannel channel = api.unixSocket().isPresent() ? SocketChannel.open(StandardProtocolFamily.UNIX)
        : SocketChannel.open()) {
      // Set before the close: the blocked call ends inside close(), before the timer's task is done.
      AtomicBoolean timedOut = new AtomicBoolean();
      ScheduledFuture<?> deadline = timer.schedule(() -> {
        timedOut.set(true);
        closeQuietly(channel);
      }, timeout.toNanos(), TimeUnit.NANOSECONDS);
      try {
        channel.connect(address);
        ByteBuffer out = ByteBuffer.wrap((commands + "\n").getBytes(StandardCharsets.US_ASCII));
        while (out.hasRemaining()) {
          channel.write(out);
        }
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        ByteBuffer in = ByteBuffer.allocate(4096);
        while (channel.read(in) >= 0 && answer.size() < MAX_ANSWER_BYTES) {
          answer.write(in.array(), 0, in.position());
          in.clear();
        }
        return answer.toString(StandardCharsets.UTF_8);
      } catch (IOException e) {
        if (timedOut.get()) {
          throw new IOException("no answer within " + timeout.toMillis() + " ms", e);
        }
        throw e;
      } finally {
        deadline.cancel(false);
      }
    }
  }

  private static void closeQuietly(SocketChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // Closing is how the deadline ends the exchange; nothing more to do.
    }
  }
}

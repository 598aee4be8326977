package io.ratisfailover.probe;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.ratis.thirdparty.io.netty.channel.ChannelHandlerContext;
import org.apache.ratis.thirdparty.io.netty.channel.ChannelInboundHandlerAdapter;
import org.apache.ratis.thirdparty.io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First in every connection's pipeline: refuses connections beyond the limits (per client address
 * and in all) and closes those that are too slow. A request must arrive whole within {@code requestTimeout} of its first byte
 * (or of the connection opening, so a silent connection, or a TLS handshake that never finishes,
 * is cut off too); between requests a kept-alive connection may idle for {@code idleTimeout}.
 * A slowloris client trickling one header byte at a time therefore holds a connection for at most
 * {@code requestTimeout}, and never holds a thread: the event loop only ever waits on sockets.
 *
 * <p>Confined to the channel's event loop, like every handler of the connection.
 */
final class ConnectionGuard extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ConnectionGuard.class);

  /** Where the connection is in its request cycle. */
  private enum Phase { READING, PROCESSING, IDLE }

  private final AtomicInteger open;
  private final int maxConnections;
  private final ClientCounts perClient;
  private final OwnConnections own;
  private final long requestTimeoutNanos;
  private final long idleTimeoutNanos;
  private final Runnable rejected;
  private Phase phase = Phase.READING;
  private ScheduledFuture<?> timer;
  private boolean counted;
  private boolean isOwn;
  private InetAddress client;

  /**
   * @param open connections open on the server, shared by all connections
   * @param perClient connections open per client address, shared by all connections
   * @param own the probe's own warm-up connections, which no limit counts
   * @param rejected told when a connection is refused for a limit
   */
  ConnectionGuard(AtomicInteger open, int maxConnections, ClientCounts perClient, OwnConnections own,
      Duration requestTimeout, Duration idleTimeout, Runnable rejected) {
    this.open = open;
    this.maxConnections = maxConnections;
    this.perClient = perClient;
    this.own = own;
    this.requestTimeoutNanos = requestTimeout.toNanos();
    this.idleTimeoutNanos = idleTimeout.toNanos();
    this.rejected = rejected;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    if (own.contains(ctx.channel().remoteAddress())) {
      // The probe warming itself up: outside every limit, so it can never take a real client's
      // place, but under the same timeouts.
      isOwn = true;
      arm(ctx, requestTimeoutNanos, "no complete request");
      super.channelActive(ctx);
      return;
    }
    // The per-client limit first: a host over its share must not take a place in the global count
    // either, or it would still crowd out the others.
    InetAddress from = addressOf(ctx.channel().remoteAddress());
    if (from != null) {
      if (!perClient.tryOpen(from)) {
        rejected.run();
        log.debug("refusing connection from {}: it already holds {} connections", from, perClient.limit());
        ctx.close();
        return;
      }
      client = from;
    }
    counted = true;
    if (open.incrementAndGet() > maxConnections) {
      rejected.run();
      log.debug("refusing connection from {}: {} connections are open", ctx.channel().remoteAddress(), maxConnections);
      ctx.close();
      return;
    }
    arm(ctx, requestTimeoutNanos, "no complete request");
    super.channelActive(ctx);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (phase == Phase.IDLE) {
      phase = Phase.READING;
      arm(ctx, requestTimeoutNanos, "no complete request");
    }
    super.channelRead(ctx, msg);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    cancel();
    if (counted) {
      counted = false;
      open.decrementAndGet();
    }
    if (client != null) {
      perClient.closed(client);
      client = null;
    }
    super.channelInactive(ctx);
  }

  /** Whether this is one of the probe's own warm-up connections, whose requests the metrics do not count. */
  boolean isOwn() {
    return isOwn;
  }

  /** A whole request was decoded: no deadline while the API works on it. */
  void requestReceived() {
    phase = Phase.PROCESSING;
    cancel();
  }

  /** An answer was written; {@code more} when further requests of this connection wait for theirs. */
  void answered(ChannelHandlerContext ctx, boolean more) {
    if (more) {
      return;
    }
    phase = Phase.IDLE;
    arm(ctx, idleTimeoutNanos, "idle");
  }

  private void arm(ChannelHandlerContext ctx, long nanos, String why) {
    cancel();
    timer = ctx.executor().schedule(() -> {
      log.debug("closing connection from {}: {} for {} ms", ctx.channel().remoteAddress(), why,
          TimeUnit.NANOSECONDS.toMillis(nanos));
      ctx.close();
    }, nanos, TimeUnit.NANOSECONDS);
  }

  private static InetAddress addressOf(SocketAddress remote) {
    return remote instanceof InetSocketAddress inet ? inet.getAddress() : null;
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}

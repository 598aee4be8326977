package io.ratisfailover.probe;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.apache.ratis.thirdparty.io.netty.buffer.ByteBufUtil;
import org.apache.ratis.thirdparty.io.netty.channel.ChannelHandlerContext;
import org.apache.ratis.thirdparty.io.netty.channel.SimpleChannelInboundHandler;
import org.apache.ratis.thirdparty.io.netty.handler.codec.DecoderResult;
import org.apache.ratis.thirdparty.io.netty.handler.codec.http.FullHttpRequest;
import org.apache.ratis.thirdparty.io.netty.handler.codec.http.HttpHeaderNames;
import org.apache.ratis.thirdparty.io.netty.handler.codec.http.HttpUtil;
import org.apache.ratis.thirdparty.io.netty.handler.codec.http.HttpVersion;
import org.apache.ratis.thirdparty.io.netty.handler.codec.http.QueryStringDecoder;
import org.apache.ratis.thirdparty.io.netty.handler.codec.http.TooLongHttpHeaderException;
import org.apache.ratis.thirdparty.io.netty.handler.codec.http.TooLongHttpLineException;
import org.apache.ratis.thirdparty.io.netty.handler.ssl.SslHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Last in the pipeline: hands each decoded request to the {@link ProbeApi} and writes its answer.
 * Reads are answered inline on the event loop. An admin request completes later on an admin
 * thread; meanwhile further requests of the same connection wait here, so answers go out in the
 * order the requests came (HTTP/1.1 pipelining), and a client that piles up requests is cut off.
 *
 * <p>One instance per connection, confined to its event loop.
 */
final class ProbeHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(ProbeHandler.class);
  /** Requests one connection may have waiting behind a slow admin request. */
  private static final int MAX_WAITING = 8;

  /** A request waiting for its turn, with what its answer needs from the original. */
  private record Pending(ProbeRequest request, Optional<Answer> malformed, HttpVersion version, boolean keepAlive) {}

  private final Endpoint api;
  private final ConnectionGuard guard;
  private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
  private boolean busy;

  ProbeHandler(Endpoint api, ConnectionGuard guard) {
    this.api = api;
    this.guard = guard;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest msg) {
    guard.requestReceived();
    if (waiting.size() >= MAX_WAITING) {
      log.debug("closing connection from {}: more than {} requests waiting", ctx.channel().remoteAddress(), MAX_WAITING);
      ctx.close();
      return;
    }
    waiting.add(pending(ctx, msg));
    drain(ctx);
  }

  private void drain(ChannelHandlerContext ctx) {
    while (!busy && !waiting.isEmpty() && ctx.channel().isActive()) {
      Pending next = waiting.poll();
      if (next.malformed().isPresent()) {
        if (!guard.isOwn()) {
          api.answered(next.malformed().get().status());
        }
        waiting.clear();
        Responses.write(ctx, next.malformed().get(), next.version(), false);
        return;
      }
      CompletableFuture<Answer> answer = api.handle(next.request(), !guard.isOwn());
      if (answer.isDone()) {
        send(ctx, next, answer.join());
      } else {
        busy = true;
        answer.whenComplete((a, e) -> ctx.executor().execute(() -> {
          busy = false;
          send(ctx, next, a != null ? a : api.error(500, "internal error; see the member's log"));
          drain(ctx);
        }));
      }
    }
  }

  private void send(ChannelHandlerContext ctx, Pending p, Answer answer) {
    if (!ctx.channel().isActive()) {
      return;
    }
    log.debug("{} -> {} ({})", p.request(), answer.status(), answer.reason());
    Responses.write(ctx, answer, p.version(), p.keepAlive());
    guard.answered(ctx, !waiting.isEmpty());
  }

  /** Copies what the API needs out of {@code msg}, or the 4xx a malformed request gets. */
  private Pending pending(ChannelHandlerContext ctx, FullHttpRequest msg) {
    String remote = String.valueOf(ctx.channel().remoteAddress());
    DecoderResult result = msg.decoderResult();
    ProbeRequest placeholder = new ProbeRequest("?", "?", Map.of(), Optional.empty(), Optional.empty(), false, Set.of(), new byte[0], remote);
    if (result.isFailure()) {
      Throwable cause = result.cause();
      Answer malformed;
      if (cause instanceof TooLongHttpLineException) {
        malformed = api.error(414, "request line too long: " + cause.getMessage());
      } else if (cause instanceof TooLongHttpHeaderException) {
        malformed = api.error(431, "request headers too large: " + cause.getMessage());
      } else {
        malformed = api.error(400, "malformed HTTP request: " + cause.getMessage());
      }
      log.debug("malformed request from {}: {}", remote, cause.toString());
      return new Pending(placeholder, Optional.of(malformed.closing()), HttpVersion.HTTP_1_1, false);
    }
    QueryStringDecoder uri;
    String path;
    try {
      uri = new QueryStringDecoder(msg.uri());
      path = uri.path();
      uri.parameters();
    } catch (IllegalArgumentException e) {
      return new Pending(placeholder, Optional.of(api.error(400, "malformed request URI: " + e.getMessage()).closing()),
          msg.protocolVersion(), false);
    }
    if (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    byte[] body = ByteBufUtil.getBytes(msg.content());
    Optional<X509Certificate> certificate = clientCertificate(ctx);
    ProbeRequest request = new ProbeRequest(msg.method().name(), path, uri.parameters(),
        Optional.ofNullable(msg.headers().get(HttpHeaderNames.AUTHORIZATION)),
        Optional.ofNullable(msg.headers().get(HttpHeaderNames.CONTENT_TYPE)), certificate.isPresent(),
        certificate.map(ClientNames::of).orElse(Set.of()), body, remote);
    return new Pending(request, Optional.empty(), msg.protocolVersion(), HttpUtil.isKeepAlive(msg));
  }

  /** The client's certificate, verified during the handshake against the client CA; empty without one. */
  private static Optional<X509Certificate> clientCertificate(ChannelHandlerContext ctx) {
    SslHandler ssl = ctx.pipeline().get(SslHandler.class);
    if (ssl == null) {
      return Optional.empty();
    }
    try {
      Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x509 ? Optional.of(x509) : Optional.empty();
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Resets, TLS handshake failures and the like: the client's trouble, never worth a stack trace.
    log.debug("closing connection from {}: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}

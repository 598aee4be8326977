package io.ratisfailover.probe;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.ratis.thirdparty.io.netty.channel.ChannelInitializer;
import org.apache.ratis.thirdparty.io.netty.channel.ChannelPipeline;
import org.apache.ratis.thirdparty.io.netty.channel.socket.SocketChannel;
import org.apache.ratis.thirdparty.io.netty.handler.codec.http.HttpServerCodec;
import org.apache.ratis.thirdparty.io.netty.handler.ssl.SslContext;
import org.apache.ratis.thirdparty.io.netty.handler.ssl.SslHandler;

/**
 * Builds each connection's pipeline: limits and timeouts first, then TLS if configured, the HTTP
 * codec with its line and header limits, the body limit, and the API.
 */
final class ProbeInitializer extends ChannelInitializer<SocketChannel> {
  private final Endpoint api;
  private final ProbeConfig config;
  private final Optional<SslContext> tls;
  private final AtomicInteger open;
  private final ClientCounts perClient;
  private final OwnConnections own;

  ProbeInitializer(Endpoint api, ProbeConfig config, Optional<SslContext> tls, AtomicInteger open, OwnConnections own) {
    this.api = api;
    this.config = config;
    this.tls = tls;
    this.open = open;
    this.own = own;
    this.perClient = new ClientCounts(config.maxConnectionsPerClient());
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    ChannelPipeline p = ch.pipeline();
    ConnectionGuard guard = new ConnectionGuard(open, config.maxConnections(), perClient, own, config.requestTimeout(),
        config.idleTimeout(), api::connectionRejected);
    p.addLast("guard", guard);
    tls.ifPresent(ctx -> {
      SslHandler ssl = ctx.newHandler(ch.alloc());
      ssl.setHandshakeTimeoutMillis(config.requestTimeout().toMillis());
      p.addLast("tls", ssl);
    });
    p.addLast("codec", new HttpServerCodec(config.maxInitialLineBytes(), config.maxHeaderBytes(), 8192));
    p.addLast("body", new BodyLimit(config.maxBodyBytes(),
        limit -> api.error(413, "request body larger than " + limit + " bytes")));
    p.addLast("api", new ProbeHandler(api, guard));
  }
}

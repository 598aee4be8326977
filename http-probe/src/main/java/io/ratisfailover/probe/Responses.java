package io.ratisfailover.probe;

import java.util.Map;
import org.apache.ratis.thirdparty.io.netty.buffer.Unpooled;
import org.apache.ratis.thirdparty.io.netty.channel.ChannelFuture;
import org.apache.ratis.thirdparty.io.netty.channel.ChannelFutureListener;
import org.apache.ratis.thirdparty.io.netty.channel.ChannelHandlerContext;
import org.apache.ratis.thirdparty.io.netty.handler.codec.http.DefaultFullHttpResponse;
import org.apache.ratis.thirdparty.io.netty.handler.codec.http.FullHttpResponse;
import org.apache.ratis.thirdparty.io.netty.handler.codec.http.HttpHeaderNames;
import org.apache.ratis.thirdparty.io.netty.handler.codec.http.HttpHeaderValues;
import org.apache.ratis.thirdparty.io.netty.handler.codec.http.HttpResponseStatus;
import org.apache.ratis.thirdparty.io.netty.handler.codec.http.HttpVersion;

/** Turns an {@link Answer} into an HTTP response on the wire. */
final class Responses {
  private Responses() {}

  /**
   * Writes and flushes {@code answer}; closes the connection afterwards unless {@code keepAlive}
   * and the answer allows it.
   */
  static ChannelFuture write(ChannelHandlerContext ctx, Answer answer, HttpVersion version, boolean keepAlive) {
    HttpVersion v = version == HttpVersion.HTTP_1_0 ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1;
    FullHttpResponse response = new DefaultFullHttpResponse(v, HttpResponseStatus.valueOf(answer.status()),
        answer.body().length == 0 ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(answer.body()));
    if (!answer.contentType().isEmpty()) {
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, answer.contentType());
    }
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, answer.body().length);
    for (Map.Entry<String, String> h : answer.headers().entrySet()) {
      response.headers().set(h.getKey(), h.getValue());
    }
    boolean close = !keepAlive || answer.close();
    if (close) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (v == HttpVersion.HTTP_1_0) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    ChannelFuture written = ctx.writeAndFlush(response);
    if (close) {
      written.addListener(ChannelFutureListener.CLOSE);
    }
    return written;
  }
}

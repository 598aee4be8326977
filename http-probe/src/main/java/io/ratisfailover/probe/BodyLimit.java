package io.ratisfailover.probe;

import java.util.function.IntFunction;
import org.apache.ratis.thirdparty.io.netty.channel.ChannelHandlerContext;
import org.apache.ratis.thirdparty.io.netty.handler.codec.http.HttpMessage;
import org.apache.ratis.thirdparty.io.netty.handler.codec.http.HttpObjectAggregator;
import org.apache.ratis.thirdparty.io.netty.handler.codec.http.HttpRequest;

/**
 * Collects a request and its body up to {@code maxBodyBytes}; a larger body is answered with a
 * JSON 413 and the connection closed, without reading the rest.
 */
final class BodyLimit extends HttpObjectAggregator {
  private final int maxBodyBytes;
  private final IntFunction<Answer> tooLarge;

  /** @param tooLarge the answer for a body over the limit, given the limit */
  BodyLimit(int maxBodyBytes, IntFunction<Answer> tooLarge) {
    super(maxBodyBytes);
    this.maxBodyBytes = maxBodyBytes;
    this.tooLarge = tooLarge;
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    if (oversized instanceof HttpRequest) {
      Responses.write(ctx, tooLarge.apply(maxBodyBytes).closing(), oversized.protocolVersion(), false);
    } else {
      ctx.close();
    }
  }
}

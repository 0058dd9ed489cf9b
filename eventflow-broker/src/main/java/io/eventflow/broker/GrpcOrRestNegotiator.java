package io.eventflow.broker;

import io.grpc.netty.shaded.io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiators;
import io.grpc.netty.shaded.io.grpc.netty.ProtocolNegotiationEvent;
import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpContentDecompressor;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpObjectAggregator;
import io.grpc.netty.shaded.io.netty.handler.codec.http.HttpServerCodec;
import io.grpc.netty.shaded.io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Serves gRPC and REST on one port, as Google's emulator does. gRPC clients open a plaintext
 * connection with the HTTP/2 preface ({@code PRI * HTTP/2.0...}); HTTP/1.1 clients start with a
 * method such as {@code GET} or {@code POST}, which differs from the preface within two bytes. Each
 * new connection is held until its first bytes decide, then handed to gRPC's own plaintext handler
 * or to an HTTP/1.1 codec in front of the {@link RestHandler}.
 *
 * <p>It plugs into grpc-netty through {@code InternalNettyServerCredentials}: the supported hook
 * for custom negotiation, marked internal because its shape may change between gRPC releases (the
 * dependency convergence rules pin the version we compile against).
 */
final class GrpcOrRestNegotiator implements InternalProtocolNegotiator.ProtocolNegotiator {
  /**
   * The grpc-netty-shaded release whose internal hooks ({@code InternalProtocolNegotiator}, {@code
   * InternalProtocolNegotiators.serverPlaintext}, {@code ProtocolNegotiationEvent}, {@code
   * GrpcHttp2ConnectionHandler}) and shaded Netty names this class was checked against. {@code
   * GrpcOrRestNegotiatorUpgradeTest} fails when the classpath has another, so a gRPC upgrade (often
   * arriving through the Beam BOM) stops the build here instead of at run time.
   */
  static final String REVIEWED_GRPC_VERSION = "1.71.0";

  private static final byte[] PREFACE =
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  /** Larger than the 10 MB publish limit, so oversized publishes get Pub/Sub's error, not 413. */
  private static final int MAX_REST_BODY_BYTES = 16 * 1024 * 1024;

  private final InternalProtocolNegotiator.ProtocolNegotiator grpc =
      InternalProtocolNegotiators.serverPlaintext();
  private final Supplier<ChannelHandler> rest;

  GrpcOrRestNegotiator(Supplier<ChannelHandler> rest) {
    this.rest = rest;
  }

  @Override
  public AsciiString scheme() {
    return grpc.scheme();
  }

  @Override
  public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
    return new Sniffer(grpcHandler);
  }

  @Override
  public void close() {
    grpc.close();
  }

  /** Buffers a connection's first bytes until they tell HTTP/2 from HTTP/1.1. */
  private final class Sniffer extends ChannelInboundHandlerAdapter {
    private final GrpcHttp2ConnectionHandler grpcHandler;
    @Nullable private ProtocolNegotiationEvent negotiation;
    private ByteBuf buffered = Unpooled.EMPTY_BUFFER;

    Sniffer(GrpcHttp2ConnectionHandler grpcHandler) {
      this.grpcHandler = grpcHandler;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
      if (event instanceof ProtocolNegotiationEvent e) {
        // gRPC's handler needs this event to start; hold it until we know the protocol.
        negotiation = e;
      } else {
        super.userEventTriggered(ctx, event);
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf in = (ByteBuf) msg;
      buffered = buffered == Unpooled.EMPTY_BUFFER ? in : Unpooled.wrappedBuffer(buffered, in);
      int n = Math.min(buffered.readableBytes(), PREFACE.length);
      for (int i = 0; i < n; i++) {
        if (buffered.getByte(buffered.readerIndex() + i) != PREFACE[i]) {
          switchTo(ctx, false);
          return;
        }
      }
      if (n == PREFACE.length) {
        switchTo(ctx, true);
      }
    }

    private void switchTo(ChannelHandlerContext ctx, boolean http2) {
      String name = ctx.name();
      if (http2) {
        ctx.pipeline().addAfter(name, null, grpc.newHandler(grpcHandler));
        if (negotiation != null) {
          ctx.fireUserEventTriggered(negotiation);
        }
      } else {
        ctx.pipeline()
            .addAfter(name, null, rest.get())
            .addAfter(name, null, new HttpObjectAggregator(MAX_REST_BODY_BYTES))
            // Google's HTTP client gzips request bodies (Content-Encoding: gzip).
            .addAfter(name, null, new HttpContentDecompressor())
            .addAfter(name, null, new HttpServerCodec());
      }
      ByteBuf bytes = buffered;
      buffered = Unpooled.EMPTY_BUFFER;
      ctx.fireChannelRead(bytes);
      ctx.pipeline().remove(this);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
      if (buffered != Unpooled.EMPTY_BUFFER) {
        buffered.release();
        buffered = Unpooled.EMPTY_BUFFER;
      }
    }
  }
}

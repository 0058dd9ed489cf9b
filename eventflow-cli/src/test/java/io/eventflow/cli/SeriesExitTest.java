package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.timeseries.srv.ServerConfig;
import io.eventflow.timeseries.srv.TimeSeriesServer;
import io.eventflow.timeseries.store.jdbc.JdbcIntervalStore;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A {@code series} command leaves no thread of its own in native code when it returns. HotSpot's
 * exit waits up to 300 ms for every thread that is (a Netty event loop in epoll_wait, a transport
 * reader blocked in a socket read), so such a thread left running costs each {@code eventflow
 * series} a third of a second before the process ends (docs/BENCHMARKS.md, "CLI start").
 */
class SeriesExitTest {
  @Test
  void seriesGetLeavesNoThreadInNativeCode() throws Exception {
    // The server runs on an event loop of its own, so any gRPC loop that appears during the
    // command is the client's.
    NioEventLoopGroup serverLoop = new NioEventLoopGroup(1);
    String store = "jdbc:h2:mem:series-exit";
    TimeSeriesServer server =
        new TimeSeriesServer(
                NettyServerBuilder.forAddress(
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                    .bossEventLoopGroup(serverLoop)
                    .workerEventLoopGroup(serverLoop)
                    .channelType(NioServerSocketChannel.class),
                JdbcIntervalStore.open(store, Clock.systemUTC()),
                ServerConfig.defaults(store, 0, -1),
                Clock.systemUTC())
            .start();
    try {
      Set<Thread> before = Thread.getAllStackTraces().keySet();

      CliRunner.Result result =
          new CliRunner()
              .run(
                  "series",
                  "get",
                  "purchase.count",
                  "--server",
                  InetAddress.getLoopbackAddress().getHostAddress() + ":" + server.port(),
                  "--start",
                  "2026-11-20",
                  "--end",
                  "2026-11-21");

      assertThat(result.exitCode()).as(result.err()).isZero();
      // What HotSpot's exit waits for: a thread of the command's still running in native code (a
      // Netty loop in epoll_wait, a transport's reader in a socket read).
      List<String> left =
          Thread.getAllStackTraces().entrySet().stream()
              .filter(e -> !before.contains(e.getKey()) && e.getKey().isAlive())
              .filter(e -> e.getKey().getState() == Thread.State.RUNNABLE)
              .filter(e -> e.getValue().length > 0 && e.getValue()[0].isNativeMethod())
              .map(e -> e.getKey().getName() + " at " + e.getValue()[0])
              .collect(Collectors.toList());
      // Before, gRPC's shared Netty event loop (grpc-default-worker-ELG-…) was still in epoll_wait.
      assertThat(left).isEmpty();
    } finally {
      server.stop();
      serverLoop.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly(10_000);
    }
  }
}

package io.eventflow.broker;

import com.google.pubsub.v1.GetTopicRequest;
import com.google.pubsub.v1.PublisherGrpc;
import com.linecorp.armeria.server.grpc.GrpcService;
import io.eventflow.broker.log.FsyncPolicy;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.micrometer.core.instrument.binder.grpc.MetricCollectingServerInterceptor;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A load driver, not a test: what {@link GrpcOrRestNegotiator} costs the gRPC path (issue 14). It
 * serves the broker's services one of three ways on a loopback port and runs {@link
 * ThroughputDriver}'s load through it with the official client, then opens {@code connections} new
 * plaintext connections one after another, one {@code GetTopic} each (the negotiator's work is per
 * connection):
 *
 * <ul>
 *   <li>{@code negotiator}: {@link Broker#start}, the broker as it is (gRPC and REST on one port);
 *   <li>{@code plain}: the same services, interceptor and limits on a plain grpc-netty-shaded
 *       server without the negotiator (gRPC only);
 *   <li>{@code armeria}: the same services and interceptor in Armeria's {@code GrpcService} (the
 *       one-port library issue 14 names; gRPC only here, calls on Armeria's blocking executor as
 *       grpc-java runs them on its own executor, since Acknowledge writes the journal).
 * </ul>
 *
 * <p>Run: {@code java -cp <test classpath> io.eventflow.broker.NegotiatorCostDriver VARIANT
 * [messages] [connections]}. Each variant gets its own JVM; alternate them. Prints process CPU per
 * message and per connection (clients included): on a shared machine that is the figure to compare.
 */
public final class NegotiatorCostDriver {
  private NegotiatorCostDriver() {}

  /** Pub/Sub accepts 10 MB publishes; the same inbound limit as {@link Broker}. */
  private static final int MAX_INBOUND_MESSAGE_BYTES = 20 * 1024 * 1024;

  /** Runs the measurement for one variant and prints the figures. */
  public static void main(String[] args) throws Exception {
    String variant = args.length > 0 ? args[0] : "negotiator";
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 300_000;
    int connections = args.length > 2 ? Integer.parseInt(args[2]) : 2_000;
    Path dir = Files.createTempDirectory("broker-negotiator");
    BrokerConfig config =
        BrokerConfig.builder()
            .host("127.0.0.1")
            .port(0)
            .dataDir(dir)
            .fsync(FsyncPolicy.INTERVAL)
            .build();
    try (Served served = serve(variant, config);
        BrokerFixture pubsub = BrokerFixture.connect(served.hostAndPort())) {
      System.out.println(variant + " " + ThroughputDriver.load(pubsub, n, false));
      // Warm the connection path up, then measure it.
      connect(served.hostAndPort(), connections / 10);
      System.out.println(variant + " " + connect(served.hostAndPort(), connections));
    }
  }

  /** A running server of one variant over the broker's engine. */
  private interface Served extends AutoCloseable {
    String hostAndPort();
  }

  private static Served serve(String variant, BrokerConfig config) throws Exception {
    if (variant.equals("negotiator")) {
      Broker broker = Broker.start(config);
      return new Served() {
        @Override
        public String hostAndPort() {
          return broker.hostAndPort();
        }

        @Override
        public void close() throws Exception {
          broker.close();
        }
      };
    }
    BrokerMetrics metrics = new BrokerMetrics();
    BrokerEngine engine = BrokerEngine.open(config, metrics);
    if (variant.equals("plain")) {
      io.grpc.Server server =
          NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.port()))
              .addService(PublisherService.definition(engine))
              .addService(new SubscriberService(engine))
              .intercept(new MetricCollectingServerInterceptor(metrics.registry()))
              .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
              .permitKeepAliveTime(10, TimeUnit.SECONDS)
              .permitKeepAliveWithoutCalls(true)
              .build()
              .start();
      int port = ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
      return served(config.host() + ":" + port, server::shutdownNow, engine, metrics);
    }
    if (variant.equals("armeria")) {
      com.linecorp.armeria.server.Server server =
          com.linecorp.armeria.server.Server.builder()
              .http(new InetSocketAddress(config.host(), config.port()))
              .maxRequestLength(MAX_INBOUND_MESSAGE_BYTES)
              // Streaming pulls live as long as the subscriber; grpc-java has no such timeout.
              .requestTimeoutMillis(0)
              .idleTimeoutMillis(0)
              .service(
                  GrpcService.builder()
                      .addService(PublisherService.definition(engine))
                      .addService(new SubscriberService(engine))
                      .intercept(new MetricCollectingServerInterceptor(metrics.registry()))
                      .maxRequestMessageLength(MAX_INBOUND_MESSAGE_BYTES)
                      .useBlockingTaskExecutor(true)
                      .build())
              .build();
      server.start().join();
      return served(
          config.host() + ":" + server.activeLocalPort(),
          () -> server.stop().join(),
          engine,
          metrics);
    }
    throw new IllegalArgumentException("variant: negotiator, plain or armeria, not " + variant);
  }

  private static Served served(
      String hostAndPort, Runnable stop, BrokerEngine engine, BrokerMetrics metrics) {
    return new Served() {
      @Override
      public String hostAndPort() {
        return hostAndPort;
      }

      @Override
      public void close() throws Exception {
        stop.run();
        engine.endStreams();
        engine.close();
        metrics.close();
      }
    };
  }

  /** Opens {@code count} connections one after another, one GetTopic on each; returns figures. */
  private static String connect(String hostAndPort, int count) throws Exception {
    var os =
        (com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    GetTopicRequest request =
        GetTopicRequest.newBuilder().setTopic(BrokerFixture.topic("load")).build();
    long cpuStart = os.getProcessCpuTime();
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      ManagedChannel channel = ManagedChannelBuilder.forTarget(hostAndPort).usePlaintext().build();
      PublisherGrpc.newBlockingStub(channel).getTopic(request);
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    long wall = System.nanoTime() - start;
    long cpu = os.getProcessCpuTime() - cpuStart;
    return String.format(
        "connections: %d new connections with one GetTopic each in %.2f s (%.0f us each);"
            + " process CPU %.2f s (%.0f us per connection)",
        count, wall / 1e9, wall / 1e3 / count, cpu / 1e9, cpu / 1e3 / count);
  }
}

package io.eventflow.broker;

import com.google.api.gax.batching.BatchingSettings;
import com.google.api.gax.batching.FlowControlSettings;
import com.google.cloud.pubsub.v1.MessageReceiver;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.cloud.pubsub.v1.Subscriber;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.Subscription;
import io.eventflow.broker.log.FsyncPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A load driver, not a test: publishes and consumes N messages of 300 bytes end to end with the
 * official client against a durable broker, then measures how long a restart on that data takes.
 * Run: {@code java -cp <test classpath> io.eventflow.broker.ThroughputDriver [messages]
 * [unordered|ordered]}. {@code ordered} publishes with 100 ordering keys (publisher ordering mode)
 * to a subscription with {@code enable_message_ordering}. Prints the process's CPU seconds too: on
 * a shared machine that is the figure to compare, not the wall-clock rate.
 */
public final class ThroughputDriver {
  private ThroughputDriver() {}

  /** Runs the measurement and prints the figures. */
  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    boolean ordered = args.length > 1 && args[1].equals("ordered");
    Path dir = Files.createTempDirectory("broker-throughput");
    BrokerConfig config = BrokerConfig.builder().dataDir(dir).fsync(FsyncPolicy.INTERVAL).build();
    try (BrokerFixture pubsub = BrokerFixture.start(config)) {
      System.out.println(load(pubsub, n, ordered));
    }
    long bytes;
    try (var files = Files.walk(dir)) {
      bytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
    long restart = System.nanoTime();
    try (Broker broker = Broker.start(config)) {
      System.out.printf(
          "restart on %.0f MB of data ready in %.2f s%n",
          bytes / 1e6, (System.nanoTime() - restart) / 1e9);
    }
  }

  /**
   * Publishes {@code n} messages of 300 bytes to a new topic {@code load} with the official
   * publisher and consumes them with the official subscriber (StreamingPull, two streams, ack per
   * message) through the broker {@code pubsub} is connected to; returns the figures as one line.
   * Other drivers ({@link NegotiatorCostDriver}) run the same load against other servers.
   */
  static String load(BrokerFixture pubsub, int n, boolean ordered) throws Exception {
    var os =
        (com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    ByteString payload = ByteString.copyFrom(new byte[300]);
    pubsub.createTopicAndSubscription(
        "load",
        Subscription.newBuilder().setAckDeadlineSeconds(60).setEnableMessageOrdering(ordered));
    CountDownLatch received = new CountDownLatch(n);
    MessageReceiver receiver =
        (m, reply) -> {
          reply.ack();
          received.countDown();
        };
    Subscriber subscriber =
        Subscriber.newBuilder(BrokerFixture.subscription("load-sub"), receiver)
            .setChannelProvider(pubsub.channels)
            .setCredentialsProvider(pubsub.credentials)
            .setParallelPullCount(2)
            .setFlowControlSettings(
                FlowControlSettings.newBuilder().setMaxOutstandingElementCount(20_000L).build())
            .build();
    subscriber.startAsync().awaitRunning();
    Publisher publisher =
        Publisher.newBuilder(BrokerFixture.topic("load"))
            .setChannelProvider(pubsub.channels)
            .setCredentialsProvider(pubsub.credentials)
            .setBatchingSettings(
                BatchingSettings.newBuilder()
                    .setElementCountThreshold(1000L)
                    .setRequestByteThreshold(1_000_000L)
                    .setDelayThreshold(org.threeten.bp.Duration.ofMillis(5))
                    .build())
            .setEnableMessageOrdering(ordered)
            .build();
    Semaphore inFlight = new Semaphore(50_000);
    long cpuStart = os.getProcessCpuTime();
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      inFlight.acquire();
      PubsubMessage.Builder message = PubsubMessage.newBuilder().setData(payload);
      if (ordered) {
        message.setOrderingKey("key-" + (i % 100));
      }
      publisher.publish(message.build()).addListener(inFlight::release, Runnable::run);
    }
    inFlight.acquire(50_000);
    long published = System.nanoTime();
    received.await(10, TimeUnit.MINUTES);
    long consumed = System.nanoTime();
    long cpu = os.getProcessCpuTime() - cpuStart;
    publisher.shutdown();
    subscriber.stopAsync().awaitTerminated();
    return String.format(
        "%s: published %d x 300 B in %.2f s (%.0f msg/s); all consumed and acked after %.2f s"
            + " (%.0f msg/s end to end); process CPU %.2f s (%.2f us per message)",
        ordered ? "ordered (100 keys)" : "unordered",
        n,
        (published - start) / 1e9,
        n / ((published - start) / 1e9),
        (consumed - start) / 1e9,
        n / ((consumed - start) / 1e9),
        cpu / 1e9,
        cpu / 1e3 / n);
  }
}

package io.eventflow.benchmarks;

import com.google.protobuf.ByteString;
import com.google.pubsub.v1.AcknowledgeRequest;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PublisherGrpc;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.PullRequest;
import com.google.pubsub.v1.PullResponse;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.SubscriberGrpc;
import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.Topic;
import io.eventflow.broker.Broker;
import io.eventflow.broker.BrokerConfig;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A load driver, not a test: how much disk the broker gives back, and at what CPU cost. Publishes N
 * messages of 300 bytes to a durable broker, pulls them all and acknowledges every message of the
 * first half and all but one in {@code K} of the second half, then runs one reclaim pass (deletion
 * of the segments nothing needs, compaction of the mostly acknowledged ones) and prints the data
 * directory's size before and after, the segments deleted and compacted, and the CPU the pass took
 * (the calling thread's, which runs it, and the whole process's). Finally restarts the broker on
 * the reclaimed data and checks the unacknowledged count survived. With {@code load}, four threads
 * publish 1000-message requests to another topic of the same broker throughout, and the publish
 * rate during the pass is printed next to the rate in a 3-second window before it.
 *
 * <p>Run: {@code java -cp eventflow-benchmarks.jar io.eventflow.benchmarks.BrokerReclaimDriver
 * [messages, default 1000000] [K, default 20] [segment MiB, default 16] [load]}.
 */
public final class BrokerReclaimDriver {
  private static final String PROJECT = "projects/reclaim-bench";
  private static final String TOPIC = PROJECT + "/topics/reclaim";
  private static final String SUBSCRIPTION = PROJECT + "/subscriptions/reclaim-sub";
  private static final String LOAD_TOPIC = PROJECT + "/topics/load";

  private BrokerReclaimDriver() {}

  /** Runs the measurement and prints the figures. */
  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int keepOneIn = args.length > 1 ? Integer.parseInt(args[1]) : 20;
    long segmentBytes = (args.length > 2 ? Long.parseLong(args[2]) : 16) * 1024 * 1024;
    boolean load = args.length > 3 && args[3].equals("load");
    Path dir = Files.createTempDirectory("broker-reclaim");
    BrokerConfig config = BrokerConfig.builder().dataDir(dir).segmentBytes(segmentBytes).build();
    try {
      measure(config, dir, n, keepOneIn, load);
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  private static void measure(
      BrokerConfig config, Path dataDir, int n, int keepOneIn, boolean withLoad) throws Exception {
    Path dir = dataDir.resolve("topics").resolve(URLEncoder.encode(TOPIC, StandardCharsets.UTF_8));
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    var os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long expectedUnacked;
    try (Broker broker = Broker.start(config)) {
      ManagedChannel channel =
          ManagedChannelBuilder.forTarget(broker.hostAndPort()).usePlaintext().build();
      try {
        expectedUnacked = publishAndAcknowledge(channel, n, keepOneIn);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      check(broker.unacknowledged(SUBSCRIPTION), expectedUnacked, "before the pass");
      Load load = withLoad ? new Load(broker.hostAndPort()) : null;
      double quietRate = load == null ? 0 : load.rateOver(3_000);
      long publishedBefore = load == null ? 0 : load.published.get();
      long before = bytes(dir);
      long filesBefore = segmentFiles(dir);
      long threadCpu = threads.getCurrentThreadCpuTime();
      long processCpu = os.getProcessCpuTime();
      long start = System.nanoTime();
      broker.applyRetention();
      long wall = System.nanoTime() - start;
      threadCpu = threads.getCurrentThreadCpuTime() - threadCpu;
      processCpu = os.getProcessCpuTime() - processCpu;
      if (load != null) {
        double passRate = (load.published.get() - publishedBefore) / (wall / 1e9);
        load.close();
        System.out.printf(
            Locale.ROOT,
            "publishing to another topic: %.0f msg/s in the 3 s before the pass, %.0f msg/s"
                + " during it (process CPU below includes the publishers)%n",
            quietRate,
            passRate);
      }
      long after = bytes(dir);
      System.out.printf(
          Locale.ROOT,
          "%,d messages of 300 B, first half acknowledged, then all but 1 in %d; %d MiB"
              + " segments%n"
              + "topic's log before: %,d bytes in %d segment files%n"
              + "topic's log after:  %,d bytes in %d segment files (%.1f%% of before)%n"
              + "reclaim pass: %.2f s wall, %.3f CPU-s on the reclaiming thread, %.3f CPU-s whole"
              + " process%n",
          n,
          keepOneIn,
          config.logConfig().segmentBytes() >> 20,
          before,
          filesBefore,
          after,
          segmentFiles(dir),
          100.0 * after / before,
          wall / 1e9,
          threadCpu / 1e9,
          processCpu / 1e9);
      check(broker.unacknowledged(SUBSCRIPTION), expectedUnacked, "after the pass");
    }
    long restart = System.nanoTime();
    try (Broker broker = Broker.start(config)) {
      System.out.printf(
          Locale.ROOT,
          "restart on the reclaimed data ready in %.2f s; %,d unacknowledged, as before%n",
          (System.nanoTime() - restart) / 1e9,
          broker.unacknowledged(SUBSCRIPTION));
      check(broker.unacknowledged(SUBSCRIPTION), expectedUnacked, "after a restart");
    }
  }

  /** Four threads publishing 1000-message requests of 300-byte messages to {@link #LOAD_TOPIC}. */
  private static final class Load implements AutoCloseable {
    final AtomicLong published = new AtomicLong();
    private final ManagedChannel channel;
    private final ExecutorService threads = Executors.newFixedThreadPool(4);
    private volatile boolean stop;

    Load(String hostAndPort) {
      channel = ManagedChannelBuilder.forTarget(hostAndPort).usePlaintext().build();
      var publisher = PublisherGrpc.newBlockingStub(channel);
      publisher.createTopic(Topic.newBuilder().setName(LOAD_TOPIC).build());
      PublishRequest.Builder request = PublishRequest.newBuilder().setTopic(LOAD_TOPIC);
      for (int i = 0; i < 1000; i++) {
        request.addMessages(PubsubMessage.newBuilder().setData(ByteString.copyFrom(new byte[300])));
      }
      PublishRequest built = request.build();
      for (int t = 0; t < 4; t++) {
        threads.execute(
            () -> {
              while (!stop) {
                publisher.publish(built);
                published.addAndGet(1000);
              }
            });
      }
    }

    /** Waits a second to warm up, then returns the publish rate over {@code millis}. */
    double rateOver(long millis) throws InterruptedException {
      Thread.sleep(1_000);
      long from = published.get();
      long start = System.nanoTime();
      Thread.sleep(millis);
      return (published.get() - from) / ((System.nanoTime() - start) / 1e9);
    }

    @Override
    public void close() throws InterruptedException {
      stop = true;
      threads.shutdown();
      threads.awaitTermination(30, TimeUnit.SECONDS);
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Publishes and pulls {@code n} messages, acknowledging as the class comment says. */
  private static long publishAndAcknowledge(ManagedChannel channel, int n, int keepOneIn) {
    var publisher = PublisherGrpc.newBlockingStub(channel);
    var subscriber = SubscriberGrpc.newBlockingStub(channel);
    publisher.createTopic(Topic.newBuilder().setName(TOPIC).build());
    subscriber.createSubscription(
        Subscription.newBuilder()
            .setName(SUBSCRIPTION)
            .setTopic(TOPIC)
            .setAckDeadlineSeconds(600)
            .build());
    ByteString payload = ByteString.copyFrom(new byte[300]);
    for (int sent = 0; sent < n; ) {
      PublishRequest.Builder request = PublishRequest.newBuilder().setTopic(TOPIC);
      for (int i = 0; i < 1000 && sent < n; i++, sent++) {
        request.addMessages(PubsubMessage.newBuilder().setData(payload));
      }
      publisher.publish(request.build());
    }
    long unacked = 0;
    for (int received = 0; received < n; ) {
      PullResponse response =
          subscriber.pull(
              PullRequest.newBuilder().setSubscription(SUBSCRIPTION).setMaxMessages(1000).build());
      List<String> ackIds = new ArrayList<>();
      for (ReceivedMessage m : response.getReceivedMessagesList()) {
        long id = Long.parseLong(m.getMessage().getMessageId());
        if (id < n / 2 || id % keepOneIn != 0) {
          ackIds.add(m.getAckId());
        } else {
          unacked++;
        }
        received++;
      }
      if (!ackIds.isEmpty()) {
        subscriber.acknowledge(
            AcknowledgeRequest.newBuilder()
                .setSubscription(SUBSCRIPTION)
                .addAllAckIds(ackIds)
                .build());
      }
    }
    return unacked;
  }

  private static void check(long actual, long expected, String when) {
    if (actual != expected) {
      throw new IllegalStateException(
          actual + " unacknowledged messages " + when + ", expected " + expected);
    }
  }

  private static long bytes(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  private static long segmentFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(p -> p.toString().endsWith(".log")).count();
    }
  }
}

package io.eventflow.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.cloud.pubsub.v1.Publisher;
import com.google.protobuf.ByteString;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.TopicName;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.ContentType;
import io.eventflow.common.MessageAttributes;
import io.eventflow.common.SampleEvents;
import io.eventflow.common.UuidV7Generator;
import io.eventflow.common.pb.Event;
import io.eventflow.publisher.EventPublisher;
import io.eventflow.publisher.PubSubAdmin;
import io.eventflow.timeseries.api.SeriesQuery;
import io.eventflow.timeseries.api.SeriesValues;
import io.eventflow.timeseries.api.TimeSeriesClient;
import io.eventflow.timeseries.api.pb.Granularity;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline on one machine, as {@code eventflow local} runs it: events published with
 * {@link EventPublisher} through the broker, ingested, rolled up into H2, and queried through
 * {@link TimeSeriesClient}; dead letters and the archive read back from the warehouse; and the same
 * answers after a restart on the same directory.
 */
class LocalStackTest {
  private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");
  private static final ZoneId KATHMANDU = ZoneId.of("Asia/Kathmandu");
  private static final String ROLLUPS =
      "purchase:sum:amount,purchase:min:amount,purchase:max:amount";
  private static final Duration WAIT = Duration.ofMinutes(4);

  private static final String VALIDATED_COPY = "validated-copy";

  private final UuidV7Generator ids = new UuidV7Generator();

  @TempDir Path dir;

  /**
   * Longer than the build's 5-minute default: two stack starts (about 10 s each on Flink) and up to
   * 4 minutes ({@link #WAIT}) for the first answers, which a loaded 2-core machine needs most of
   * when the jobs' classes are loaded cold.
   */
  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES)
  void publishedEventsBecomeExactDailySeriesInAnyZoneAndSurviveARestart() throws Exception {
    LocalConfig config =
        LocalConfig.defaults()
            .withDataDir(dir)
            .withPorts(0, 0, 0)
            .withRollups(ROLLUPS)
            .withFlushInterval(Duration.ofSeconds(2));

    // Events three days ago, placed around UTC midnight so that UTC, New York and Kathmandu
    // disagree about their days.
    Instant day = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(3, ChronoUnit.DAYS);
    List<Event> valid = new ArrayList<>();
    valid.add(purchase(day.plus(Duration.ofMinutes(60)), "acme", 10));
    valid.add(purchase(day.plus(Duration.ofHours(13)), "acme", 20));
    valid.add(purchase(day.plus(Duration.ofMinutes(23 * 60 + 30)), "globex", 5));
    valid.add(purchase(day.plus(Duration.ofHours(28)), null, 7));
    valid.add(
        SampleEvents.event(ids.nextId(), "signup", "web", day.plus(Duration.ofHours(12)), null)
            .putAttributes("plan", AttributeValues.of("pro"))
            .build());
    // Published last, hours older than the rest.
    Event late = purchase(day.plus(Duration.ofHours(2)), "acme", 100);

    Map<String, Map<LocalDate, Double>> expectedUtc = expected(valid, late, ZoneOffset.UTC);
    Map<String, Map<LocalDate, Double>> expectedNewYork = expected(valid, late, NEW_YORK);
    Map<String, Map<LocalDate, Double>> expectedKathmandu = expected(valid, late, KATHMANDU);

    LocalStack stack = LocalStack.start(config);
    try {
      assertMetricsOnLoopbackOnly(stack.metricsPort());
      // A user's own subscription to the validated topic: rollups no longer reads it (it takes
      // ingest's events within the job), but ingest still republishes every valid event there.
      try (PubSubAdmin admin = PubSubAdmin.connect(stack.pubsubHostAndPort())) {
        admin.createTopicAndSubscription(
            TopicName.of(LocalStack.PROJECT, LocalStack.VALIDATED_TOPIC), VALIDATED_COPY);
      }
      try (EventPublisher publisher =
          EventPublisher.newBuilder(LocalStack.EVENTS_TOPIC)
              .project(LocalStack.PROJECT)
              .emulatorHost(stack.pubsubHostAndPort())
              .build()) {
        for (Event event : valid) {
          publisher.publish(event).get(30, TimeUnit.SECONDS);
        }
        publisher.publish(valid.get(1)).get(30, TimeUnit.SECONDS); // a duplicate id
      }
      publishInvalidMessages(stack.pubsubHostAndPort(), day);
      try (EventPublisher publisher =
          EventPublisher.newBuilder(LocalStack.EVENTS_TOPIC)
              .project(LocalStack.PROJECT)
              .emulatorHost(stack.pubsubHostAndPort())
              .contentType(ContentType.JSON)
              .build()) {
        publisher.publish(late).get(30, TimeUnit.SECONDS);
      }

      assertSeries(stack, expectedUtc, ZoneOffset.UTC, day);
      assertSeries(stack, expectedNewYork, NEW_YORK, day);
      assertSeries(stack, expectedKathmandu, KATHMANDU, day);

      // The warehouse: each valid event archived once, each invalid message with its reason.
      Set<String> validIds = new HashSet<>();
      for (Event e : valid) {
        validIds.add(e.getId());
      }
      validIds.add(late.getId());
      Warehouse warehouse = new Warehouse(stack.warehouse());
      awaitTrue(
          () -> new HashSet<>(warehouse.validIds()).equals(validIds), "archive of valid events");
      awaitTrue(
          () ->
              warehouse
                  .invalidReasons()
                  .equals(Set.of("MALFORMED_JSON", "MISSING_TYPE", "ID_ATTRIBUTE_MISMATCH")),
          "dead letters with their reasons");
      assertThat(warehouse.validIds()).hasSize(validIds.size());
      awaitTrue(
          () -> stack.unacknowledged(VALIDATED_COPY) == validIds.size(),
          "each valid event republished once to the validated topic");
    } finally {
      stack.close();
    }

    // Started again on the same directory: the same answers, nothing lost, nothing counted twice.
    LocalStack again = LocalStack.start(config);
    try {
      assertSeries(again, expectedUtc, ZoneOffset.UTC, day);
      assertSeries(again, expectedNewYork, NEW_YORK, day);
      // What the stopped jobs read after their last checkpoint is delivered again and dropped as
      // a repeat; the restored checkpoint's own messages are acknowledged when it is restored.
      awaitTrue(
          () -> again.unacknowledged(LocalStack.INGEST_SUBSCRIPTION) == 0,
          "everything acknowledged after the restart");
      assertSeries(again, expectedUtc, ZoneOffset.UTC, day);
    } finally {
      again.close(Duration.ZERO);
    }
  }

  @Test
  void aPortInUseIsOneClearLine() throws Exception {
    try (ServerSocket taken = new ServerSocket(0)) {
      LocalConfig config =
          LocalConfig.defaults().withDataDir(dir).withPorts(taken.getLocalPort(), 0, -1);
      assertThatThrownBy(() -> LocalStack.start(config))
          .isInstanceOf(LocalStackException.class)
          .hasMessage(
              "the Pub/Sub port "
                  + taken.getLocalPort()
                  + " is already in use (try --pubsub-port)");
    }
  }

  @Test
  void anUnwritableDataDirectoryIsOneClearLine() throws Exception {
    Path file = Files.writeString(dir.resolve("not-a-directory"), "x");
    LocalConfig config = LocalConfig.defaults().withDataDir(file).withPorts(0, 0, -1);
    assertThatThrownBy(() -> LocalStack.start(config))
        .isInstanceOf(LocalStackException.class)
        .hasMessageStartingWith("cannot write to the data directory " + file);
  }

  @Test
  void aBadRollupSpecIsOneClearLineAndStopsWhatStarted() throws Exception {
    LocalConfig config =
        LocalConfig.defaults().withDataDir(dir).withPorts(0, 0, -1).withRollups("purchase:avg:x");
    assertThatThrownBy(() -> LocalStack.start(config))
        .isInstanceOf(LocalStackException.class)
        .hasMessageContaining("purchase:avg:x");
    // Everything was stopped: the same directory starts again (the broker's lock is free).
    LocalStack stack = LocalStack.start(config.withRollups(""));
    stack.close(Duration.ZERO);
  }

  private Event purchase(Instant at, String customer, long amount) {
    return SampleEvents.event(ids.nextId(), "purchase", "checkout", at, customer)
        .putAttributes("amount", AttributeValues.of(amount))
        .build();
  }

  /** The naive reference: group purchases by local date and apply each series' function. */
  private static Map<String, Map<LocalDate, Double>> expected(
      List<Event> valid, Event late, ZoneId zone) {
    Map<String, Map<LocalDate, Double>> out = new TreeMap<>();
    List<Event> all = new ArrayList<>(valid);
    all.add(late);
    for (Event e : all) {
      if (!e.getType().equals("purchase")) {
        continue;
      }
      LocalDate date =
          Instant.ofEpochSecond(e.getTimestamp().getSeconds()).atZone(zone).toLocalDate();
      double amount = e.getAttributesOrThrow("amount").getIntValue();
      out.computeIfAbsent("purchase.count", k -> new TreeMap<>()).merge(date, 1.0, Double::sum);
      out.computeIfAbsent("purchase.amount.sum", k -> new TreeMap<>())
          .merge(date, amount, Double::sum);
      out.computeIfAbsent("purchase.amount.min", k -> new TreeMap<>())
          .merge(date, amount, Math::min);
      out.computeIfAbsent("purchase.amount.max", k -> new TreeMap<>())
          .merge(date, amount, Math::max);
      if (e.getCustomer().getValue().equals("acme")) {
        out.computeIfAbsent("purchase.acme.count", k -> new TreeMap<>())
            .merge(date, 1.0, Double::sum);
      }
    }
    return out;
  }

  /** Queries every series by day in a zone until it matches the reference, within the wait. */
  private void assertSeries(
      LocalStack stack, Map<String, Map<LocalDate, Double>> expected, ZoneId zone, Instant day)
      throws Exception {
    try (TimeSeriesClient client = TimeSeriesClient.connect(stack.grpcHostAndPort())) {
      for (Map.Entry<String, Map<LocalDate, Double>> series : expected.entrySet()) {
        Instant start = day.atZone(zone).toLocalDate().minusDays(2).atStartOfDay(zone).toInstant();
        Instant end = day.atZone(zone).toLocalDate().plusDays(3).atStartOfDay(zone).toInstant();
        SeriesQuery query =
            SeriesQuery.of(series.getKey(), start, end)
                .zone(zone)
                .granularity(Granularity.GRANULARITY_DAY)
                .noCache();
        Supplier<Map<LocalDate, Double>> actual =
            () -> {
              SeriesValues values = client.get(query);
              Map<LocalDate, Double> byDay = new TreeMap<>();
              for (int i = 0; i < values.size(); i++) {
                byDay.put(values.start(i).atZone(zone).toLocalDate(), values.value(i));
              }
              return byDay;
            };
        awaitTrue(
            () -> actual.get().equals(series.getValue()),
            series.getKey() + " by day in " + zone + " = " + series.getValue());
        assertThat(actual.get()).as(series.getKey() + " in " + zone).isEqualTo(series.getValue());
      }
    }
  }

  /** Publishes three messages ingest must reject, through the official client, bypassing checks. */
  /** Three messages ingest must reject, published through the official client. */
  private void publishInvalidMessages(String hostAndPort, Instant day) throws Exception {
    String id = ids.nextId();
    Event blankType =
        purchase(day.plus(Duration.ofHours(3)), "acme", 1).toBuilder().setType(" ").build();
    Event mismatched = purchase(day.plus(Duration.ofHours(3)), "acme", 1);
    publishRaw(
        hostAndPort,
        LocalStack.EVENTS_TOPIC,
        List.of(
            PubsubMessage.newBuilder()
                .setData(ByteString.copyFromUtf8("{\"id\":\"" + id + "\",\"type\":"))
                .putAttributes(MessageAttributes.ID, id)
                .putAttributes(MessageAttributes.CONTENT_TYPE, ContentType.JSON.mimeType())
                .build(),
            PubsubMessage.newBuilder()
                .setData(blankType.toByteString())
                .putAttributes(MessageAttributes.ID, blankType.getId())
                .build(),
            PubsubMessage.newBuilder()
                .setData(mismatched.toByteString())
                .putAttributes(MessageAttributes.ID, ids.nextId())
                .build()));
  }

  /**
   * Publishes messages as they are, bypassing the publisher's checks, through the official client.
   */
  private static void publishRaw(String hostAndPort, String topic, List<PubsubMessage> messages)
      throws Exception {
    ManagedChannel channel = ManagedChannelBuilder.forTarget(hostAndPort).usePlaintext().build();
    Publisher publisher =
        Publisher.newBuilder(TopicName.of(LocalStack.PROJECT, topic))
            .setChannelProvider(
                FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel)))
            .setCredentialsProvider(NoCredentialsProvider.create())
            .build();
    try {
      for (PubsubMessage message : messages) {
        publisher.publish(message).get(30, TimeUnit.SECONDS);
      }
    } finally {
      publisher.shutdown();
      publisher.awaitTermination(10, TimeUnit.SECONDS);
      channel.shutdownNow();
    }
  }

  /**
   * The query service's Prometheus metrics answer on loopback and on no other address of this
   * machine: the local stack binds them to 127.0.0.1, not to every interface.
   */
  private static void assertMetricsOnLoopbackOnly(int port) throws Exception {
    HttpResponse<String> metrics =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .timeout(Duration.ofSeconds(30))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.statusCode()).isEqualTo(200);
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      for (InetAddress address : Collections.list(nic.getInetAddresses())) {
        if (address.isLoopbackAddress() || address.isLinkLocalAddress()) {
          continue;
        }
        try (Socket socket = new Socket()) {
          Throwable refused =
              catchThrowable(() -> socket.connect(new InetSocketAddress(address, port), 5_000));
          assertThat(refused)
              .as("connecting to the metrics port on %s, not loopback", address)
              .isInstanceOf(ConnectException.class);
        }
      }
    }
  }

  private static void awaitTrue(Supplier<Boolean> condition, String what) throws Exception {
    Instant deadline = Instant.now().plus(WAIT);
    while (!condition.get()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("not within " + WAIT + ": " + what);
      }
      TimeUnit.MILLISECONDS.sleep(500);
    }
  }
}

package io.eventflow.broker;

import com.google.common.util.concurrent.RateLimiter;
import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import com.google.protobuf.Message;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.Timestamps;
import com.google.pubsub.v1.AcknowledgeRequest;
import com.google.pubsub.v1.CreateSnapshotRequest;
import com.google.pubsub.v1.ListSnapshotsRequest;
import com.google.pubsub.v1.ListSnapshotsResponse;
import com.google.pubsub.v1.ListSubscriptionsRequest;
import com.google.pubsub.v1.ListSubscriptionsResponse;
import com.google.pubsub.v1.ListTopicSnapshotsRequest;
import com.google.pubsub.v1.ListTopicSnapshotsResponse;
import com.google.pubsub.v1.ListTopicSubscriptionsRequest;
import com.google.pubsub.v1.ListTopicSubscriptionsResponse;
import com.google.pubsub.v1.ListTopicsRequest;
import com.google.pubsub.v1.ListTopicsResponse;
import com.google.pubsub.v1.ModifyAckDeadlineRequest;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PublishResponse;
import com.google.pubsub.v1.PubsubMessage;
import com.google.pubsub.v1.PullRequest;
import com.google.pubsub.v1.PullResponse;
import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.SeekRequest;
import com.google.pubsub.v1.SeekResponse;
import com.google.pubsub.v1.Snapshot;
import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.Topic;
import com.google.pubsub.v1.UpdateSnapshotRequest;
import io.eventflow.broker.filter.AttributeFilter;
import io.eventflow.broker.filter.FilterSyntaxException;
import io.eventflow.broker.log.AckJournal;
import io.eventflow.broker.log.FsyncPolicy;
import io.eventflow.broker.log.LogFullException;
import io.eventflow.broker.log.LogRecord;
import io.eventflow.broker.log.Repair;
import io.eventflow.broker.log.SegmentedLog;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.checkerframework.checker.nullness.qual.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The broker's behaviour behind both protocols: topics, subscriptions, publish, pull, ack, seek and
 * retention, taking and returning the Pub/Sub v1 messages. Errors are {@link
 * StatusRuntimeException}s with the status codes Pub/Sub uses, which the gRPC service passes on and
 * the REST front maps to HTTP statuses.
 *
 * <p>Layout of the data directory: {@code topics/<name>/topic.pb} plus the topic's log segments,
 * and {@code subscriptions/<name>/subscription.pb} plus its origin offset and ack journal, where
 * {@code <name>} is the URL-encoded resource name. A resource exists once its {@code .pb} file
 * does; a directory without one is a creation or deletion cut short by a crash and is removed on
 * start.
 */
final class BrokerEngine implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(BrokerEngine.class);

  /** Pub/Sub's limits, enforced so code that works here also works against the real service. */
  static final int MAX_PUBLISH_BYTES = 10 * 1024 * 1024;

  static final int MAX_ATTRIBUTES = 100;
  static final int MAX_ATTRIBUTE_KEY_BYTES = 256;
  static final int MAX_ATTRIBUTE_VALUE_BYTES = 1024;
  static final int MAX_PULL_MESSAGES = 1000;
  static final int MAX_ORDERING_KEY_BYTES = 1024;

  private static final Duration DEFAULT_SUBSCRIPTION_RETENTION = Durations.fromDays(7);

  /** Pub/Sub: a snapshot lives 7 days minus the age of the oldest unacked message it captures. */
  private static final long SNAPSHOT_LIFETIME_MICROS = Durations.toMicros(Durations.fromDays(7));

  /** Pub/Sub refuses a snapshot that would expire less than an hour after its creation. */
  private static final long MIN_SNAPSHOT_LIFETIME_MICROS =
      Durations.toMicros(Durations.fromHours(1));

  private static final Duration MIN_RETENTION = Durations.fromMinutes(10);
  private static final Duration MAX_RETENTION = Durations.fromDays(31);
  private static final int DEFAULT_ACK_DEADLINE_SECONDS = 10;
  private static final int DEFAULT_MAX_DELIVERY_ATTEMPTS = 5;

  private final BrokerConfig config;
  private final Clock clock;
  @Nullable private final Path topicsDir;
  @Nullable private final Path subscriptionsDir;
  @Nullable private final Path snapshotsDir;
  private final NavigableMap<String, TopicState> topics = new ConcurrentSkipListMap<>();
  private final NavigableMap<String, SubscriptionState> subscriptions =
      new ConcurrentSkipListMap<>();
  private final NavigableMap<String, SnapshotState> snapshots = new ConcurrentSkipListMap<>();
  private final Object adminLock = new Object();
  private final Executor committer;
  @Nullable private final ExecutorService ownedCommitter;
  private final ExecutorService dispatcher;
  private final ScheduledExecutorService timer;

  /** Runs retention and compaction, which can take seconds, away from the lease timer. */
  private final ScheduledExecutorService reclaimThread;

  private final LogReclaimer reclaimer;
  private final Object reclaimLock = new Object();
  private final BrokerMetrics metrics;
  private final List<Repair> repairs = new ArrayList<>();

  private BrokerEngine(BrokerConfig config, BrokerMetrics metrics, @Nullable Executor committer) {
    this.config = config;
    this.metrics = metrics;
    this.clock = config.clock();
    Path dataDir = config.dataDir().orElse(null);
    this.topicsDir = dataDir == null ? null : dataDir.resolve("topics");
    this.subscriptionsDir = dataDir == null ? null : dataDir.resolve("subscriptions");
    this.snapshotsDir = dataDir == null ? null : dataDir.resolve("snapshots");
    this.ownedCommitter =
        committer == null ? Executors.newCachedThreadPool(daemon("eventflow-broker-commit")) : null;
    this.committer = committer == null ? ownedCommitter : committer;
    // Two dispatchers keep delivery off the gRPC threads; one subscription uses one at a time.
    this.dispatcher =
        Executors.newFixedThreadPool(
            Math.max(2, Runtime.getRuntime().availableProcessors()),
            daemon("eventflow-broker-dispatch"));
    this.timer = Executors.newSingleThreadScheduledExecutor(daemon("eventflow-broker-timer"));
    this.reclaimThread =
        Executors.newSingleThreadScheduledExecutor(daemon("eventflow-broker-reclaim"));
    RateLimiter copyRate = RateLimiter.create(config.compactionBytesPerSecond());
    this.reclaimer =
        new LogReclaimer(
            clock,
            metrics,
            config.compactionMinReclaimRatio(),
            copyRate::acquire,
            config.reclaimObserver());
  }

  /**
   * Opens the broker state, recovering it from the data directory if there is one; every repair
   * recovery makes is logged, counted in {@code metrics} and listed in {@link #repairs()}.
   */
  static BrokerEngine open(BrokerConfig config, BrokerMetrics metrics) throws IOException {
    return open(config, metrics, null);
  }

  /**
   * As {@link #open(BrokerConfig, BrokerMetrics)}, with the log writes run on {@code committer}
   * (null: a pool of its own). Tests pass an executor that runs only when told, a disk that has not
   * finished a write.
   */
  static BrokerEngine open(BrokerConfig config, BrokerMetrics metrics, @Nullable Executor committer)
      throws IOException {
    BrokerEngine engine = new BrokerEngine(config, metrics, committer);
    try {
      engine.recover();
    } catch (IOException | RuntimeException e) {
      engine.close();
      throw e;
    }
    engine.startTimers();
    metrics.pendingBytes(engine::pendingBytes);
    metrics.backlogs(engine::backlogs);
    return engine;
  }

  /** What recovery repaired when this engine opened its data directory, in the order found. */
  List<Repair> repairs() {
    return List.copyOf(repairs);
  }

  /**
   * Every subscription's backlog now, for {@code /metrics}; one that cannot be read is left out.
   */
  Map<String, BrokerMetrics.BacklogSample> backlogs() {
    Map<String, BrokerMetrics.BacklogSample> out = new java.util.HashMap<>();
    long now = Micros.now(clock);
    for (SubscriptionState sub : subscriptions.values()) {
      try {
        Backlog backlog = sub.backlog();
        out.put(
            sub.name(), new BrokerMetrics.BacklogSample(backlog, backlog.oldestAgeSeconds(now)));
      } catch (IOException e) {
        logger.warn("could not read the backlog of {}", sub.name(), e);
      }
    }
    return out;
  }

  private long pendingBytes() {
    long sum = 0;
    for (TopicState topic : topics.values()) {
      sum += topic.log().pendingBytes();
    }
    return sum;
  }

  private void startTimers() {
    long leaseMillis = config.leaseCheckInterval().toMillis();
    timer.scheduleWithFixedDelay(
        this::expireLeases, leaseMillis, leaseMillis, TimeUnit.MILLISECONDS);
    long retentionMillis = config.retentionCheckInterval().toMillis();
    reclaimThread.scheduleWithFixedDelay(
        this::applyRetentionQuietly, retentionMillis, retentionMillis, TimeUnit.MILLISECONDS);
    if (config.fsync() == FsyncPolicy.INTERVAL && topicsDir != null) {
      long fsyncMillis = config.fsyncInterval().toMillis();
      timer.scheduleWithFixedDelay(
          this::syncQuietly, fsyncMillis, fsyncMillis, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Makes messages whose ack deadline passed deliverable again, on every subscription. The lease
   * timer calls this every lease-check interval; tests call it after moving their clock.
   */
  void expireLeases() {
    subscriptions.values().forEach(SubscriptionState::expireLeases);
  }

  // ---------------------------------------------------------------------------------------------
  // Topics

  Topic createTopic(Topic request) {
    String name = request.getName();
    ResourceNames.checkTopic(name);
    if (request.hasSchemaSettings()) {
      throw unimplemented("schemas are not supported by eventflow-broker");
    }
    if (request.hasIngestionDataSourceSettings()) {
      throw unimplemented("ingestion data sources are not supported by eventflow-broker");
    }
    if (request.hasMessageRetentionDuration()) {
      checkRetention(request.getMessageRetentionDuration(), "message_retention_duration");
    }
    Topic topic = request.toBuilder().setState(Topic.State.ACTIVE).build();
    synchronized (adminLock) {
      if (topics.containsKey(name)) {
        throw alreadyExists(name);
      }
      try {
        Path dir = topicsDir == null ? null : topicsDir.resolve(encode(name));
        SegmentedLog log = SegmentedLog.open(dir, config.logConfig(), clock, committer);
        if (dir != null) {
          writeAtomically(dir.resolve("topic.pb"), topic);
        }
        topics.put(name, new TopicState(topic, log));
      } catch (IOException e) {
        throw internal("could not create topic " + name, e);
      }
    }
    return topic;
  }

  Topic getTopic(String name) {
    return requireTopic(name).config();
  }

  ListTopicsResponse listTopics(ListTopicsRequest request) {
    ResourceNames.checkProject(request.getProject());
    String prefix = request.getProject() + "/topics/";
    ListTopicsResponse.Builder response = ListTopicsResponse.newBuilder();
    String next =
        page(
            topics,
            prefix,
            request.getPageSize(),
            request.getPageToken(),
            t -> response.addTopics(t.config()));
    return response.setNextPageToken(next).build();
  }

  ListTopicSubscriptionsResponse listTopicSubscriptions(ListTopicSubscriptionsRequest request) {
    TopicState topic = requireTopic(request.getTopic());
    List<String> names =
        topic.subscriptions().stream().map(SubscriptionState::name).sorted().toList();
    ListTopicSubscriptionsResponse.Builder response = ListTopicSubscriptionsResponse.newBuilder();
    String next =
        pageOfNames(
            names, request.getPageSize(), request.getPageToken(), response::addSubscriptions);
    return response.setNextPageToken(next).build();
  }

  /**
   * Adds one page of sorted {@code names} after {@code token} to {@code add}; returns the next
   * page's token (empty after the last page).
   */
  private static String pageOfNames(
      List<String> names,
      int requestedSize,
      String token,
      java.util.function.Consumer<String> add) {
    int size = pageSize(requestedSize);
    int start = 0;
    if (!token.isEmpty()) {
      while (start < names.size() && names.get(start).compareTo(token) <= 0) {
        start++;
      }
    }
    int end = Math.min(names.size(), start + size);
    names.subList(start, end).forEach(add);
    return end < names.size() ? names.get(end - 1) : "";
  }

  /**
   * Deletes a topic and its log. As in Pub/Sub its subscriptions remain, detached: their topic
   * becomes {@code _deleted-topic_} and they receive nothing more.
   */
  void deleteTopic(String name) {
    ResourceNames.checkTopic(name);
    synchronized (adminLock) {
      TopicState topic = topics.get(name);
      if (topic == null) {
        throw notFound("Topic", name);
      }
      try {
        for (SubscriptionState sub : topic.subscriptions()) {
          Subscription detached =
              sub.config().toBuilder().setTopic(ResourceNames.DELETED_TOPIC).build();
          if (subscriptionsDir != null) {
            writeAtomically(
                subscriptionsDir.resolve(encode(sub.name())).resolve("subscription.pb"), detached);
          }
          sub.detach(detached);
        }
        for (SnapshotState snapshot : snapshots.values()) {
          if (snapshot.config().getTopic().equals(name)) {
            SnapshotState detached = snapshot.withTopic(ResourceNames.DELETED_TOPIC);
            if (snapshotsDir != null) {
              writeAtomically(
                  snapshotsDir.resolve(encode(snapshot.config().getName())).resolve("snapshot.pb"),
                  detached.config());
            }
            snapshots.put(snapshot.config().getName(), detached);
          }
        }
        topics.remove(name);
        if (topicsDir != null) {
          Files.deleteIfExists(topicsDir.resolve(encode(name)).resolve("topic.pb"));
        }
        topic.log().delete();
      } catch (IOException e) {
        throw internal("could not delete topic " + name, e);
      }
    }
  }

  /** Appends the request's messages; the future completes once they are in the log. */
  CompletableFuture<PublishResponse> publish(PublishRequest request) {
    return publish(request.getTopic(), request.getMessagesList(), null);
  }

  /**
   * Appends a request read off the wire, keeping each message's bytes as they came; a message
   * {@link WirePublish} checked on its bytes (not decoded) passed the same checks.
   */
  CompletableFuture<PublishResponse> publish(WirePublish request) {
    return publish(request.topic(), request.decoded(), request.messages());
  }

  /**
   * Appends {@code messages} to {@code topicName}; {@code wire}, when not null, holds their bytes
   * as published (see {@link WirePublish}), and a null message is one checked on those bytes.
   */
  private CompletableFuture<PublishResponse> publish(
      String topicName, List<@Nullable PubsubMessage> messages, @Nullable List<ByteString> wire) {
    TopicState topic = requireTopic(topicName);
    if (messages.isEmpty()) {
      throw invalid("The request must contain at least one message.");
    }
    long total = 0;
    String orderingKey = orderingKey(messages.get(0));
    for (int i = 0; i < messages.size(); i++) {
      PubsubMessage m = messages.get(i);
      if (m != null) {
        checkMessage(m);
      }
      // Pub/Sub's rule, which the official publisher's ordering mode follows (one key per batch).
      if (!orderingKey(m).equals(orderingKey)) {
        throw invalid(
            "In a single publish request, all messages must have no ordering key or they must all"
                + " have the same ordering key.");
      }
      total += wire != null ? wire.get(i).size() : m.getSerializedSize();
    }
    if (total > MAX_PUBLISH_BYTES) {
      throw invalid(
          "The request is larger than the 10 MB Pub/Sub allows (" + total + " bytes of messages).");
    }
    int count = messages.size();
    return append(topic, messages, wire)
        .handle(
            (first, error) -> {
              if (error != null) {
                throw publishFailure(topic, error);
              }
              // Answered only here: the log wrote the batch (and forced it under fsync always).
              metrics.published(topic.name(), count);
              PublishResponse.Builder response = PublishResponse.newBuilder();
              for (int i = 0; i < count; i++) {
                response.addMessageIds(Long.toString(first + i));
              }
              return response.build();
            });
  }

  /** A message's ordering key; none for one checked on its bytes, which has none. */
  private static String orderingKey(@Nullable PubsubMessage message) {
    return message == null ? "" : message.getOrderingKey();
  }

  /**
   * The status a failed append answers: RESOURCE_EXHAUSTED when the pending batch is full, which
   * the official clients and Beam's REST client retry with backoff; INTERNAL for a failed write.
   */
  private RuntimeException publishFailure(TopicState topic, Throwable error) {
    Throwable cause =
        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof LogFullException full) {
      metrics.publishRefused(topic.name());
      return Status.RESOURCE_EXHAUSTED
          .withDescription("Publish to " + topic.name() + " refused: " + full.getMessage() + ".")
          .asRuntimeException();
    }
    if (cause instanceof StatusRuntimeException status) {
      return status;
    }
    return internal("could not append to " + topic.name(), cause);
  }

  private static CompletableFuture<Long> append(
      TopicState topic, List<@Nullable PubsubMessage> messages, @Nullable List<ByteString> wire) {
    return topic
        .log()
        .append(
            messages.size(),
            (i, offset, time) ->
                StoredMessages.bytes(
                    messages.get(i), wire != null ? wire.get(i) : null, offset, time));
  }

  /** Checks a message against Pub/Sub's limits, answering INVALID_ARGUMENT as Pub/Sub does. */
  static void checkMessage(PubsubMessage m) {
    if (m.getData().isEmpty() && m.getAttributesCount() == 0) {
      throw invalid("Some messages are empty: a message needs data or at least one attribute.");
    }
    if (!m.getOrderingKey().isEmpty()
        && ByteString.copyFromUtf8(m.getOrderingKey()).size() > MAX_ORDERING_KEY_BYTES) {
      throw invalid("An ordering key must be at most " + MAX_ORDERING_KEY_BYTES + " bytes.");
    }
    if (m.getAttributesCount() > MAX_ATTRIBUTES) {
      throw invalid("A message has more than " + MAX_ATTRIBUTES + " attributes.");
    }
    for (Map.Entry<String, String> a : m.getAttributesMap().entrySet()) {
      int keyBytes = ByteString.copyFromUtf8(a.getKey()).size();
      if (keyBytes == 0 || keyBytes > MAX_ATTRIBUTE_KEY_BYTES) {
        throw invalid(
            "Attribute keys must be 1 to "
                + MAX_ATTRIBUTE_KEY_BYTES
                + " bytes (key="
                + a.getKey()
                + ").");
      }
      if (a.getKey().startsWith("goog")) {
        throw invalid("Attribute keys must not start with 'goog' (key=" + a.getKey() + ").");
      }
      if (ByteString.copyFromUtf8(a.getValue()).size() > MAX_ATTRIBUTE_VALUE_BYTES) {
        throw invalid(
            "Attribute values must be at most "
                + MAX_ATTRIBUTE_VALUE_BYTES
                + " bytes (key="
                + a.getKey()
                + ").");
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Subscriptions

  Subscription createSubscription(Subscription request) {
    String name = request.getName();
    ResourceNames.checkSubscription(name);
    ResourceNames.checkTopic(request.getTopic());
    if (!request.getPushConfig().getPushEndpoint().isEmpty()) {
      throw unimplemented("push subscriptions are not supported by eventflow-broker; use pull");
    }
    if (request.hasBigqueryConfig() || request.hasCloudStorageConfig()) {
      throw unimplemented(
          "BigQuery and Cloud Storage subscriptions are not supported by eventflow-broker");
    }
    if (request.getEnableExactlyOnceDelivery()) {
      throw unimplemented("exactly-once delivery is not supported by eventflow-broker");
    }
    int ackDeadline =
        request.getAckDeadlineSeconds() == 0
            ? DEFAULT_ACK_DEADLINE_SECONDS
            : request.getAckDeadlineSeconds();
    if (ackDeadline < 10 || ackDeadline > 600) {
      throw invalid(
          "ack_deadline_seconds must be between 10 and 600 (got "
              + request.getAckDeadlineSeconds()
              + ").");
    }
    Duration retention =
        request.hasMessageRetentionDuration()
            ? request.getMessageRetentionDuration()
            : DEFAULT_SUBSCRIPTION_RETENTION;
    checkRetention(retention, "message_retention_duration");
    AttributeFilter filter;
    try {
      filter = AttributeFilter.parse(request.getFilter());
    } catch (FilterSyntaxException e) {
      throw invalid("Invalid filter: " + e.getMessage());
    }
    Subscription.Builder subscription =
        request.toBuilder()
            .setAckDeadlineSeconds(ackDeadline)
            .setMessageRetentionDuration(retention)
            .setState(Subscription.State.ACTIVE);
    if (request.hasDeadLetterPolicy()) {
      String deadLetterTopic = request.getDeadLetterPolicy().getDeadLetterTopic();
      ResourceNames.checkTopic(deadLetterTopic);
      int attempts =
          request.getDeadLetterPolicy().getMaxDeliveryAttempts() == 0
              ? DEFAULT_MAX_DELIVERY_ATTEMPTS
              : request.getDeadLetterPolicy().getMaxDeliveryAttempts();
      if (attempts < 5 || attempts > 100) {
        throw invalid("max_delivery_attempts must be between 5 and 100 (got " + attempts + ").");
      }
      subscription.getDeadLetterPolicyBuilder().setMaxDeliveryAttempts(attempts);
    }
    Subscription created = subscription.build();
    synchronized (adminLock) {
      TopicState topic = topics.get(request.getTopic());
      if (topic == null) {
        throw notFound("Topic", request.getTopic());
      }
      if (request.hasDeadLetterPolicy()
          && !topics.containsKey(request.getDeadLetterPolicy().getDeadLetterTopic())) {
        throw notFound("Dead-letter topic", request.getDeadLetterPolicy().getDeadLetterTopic());
      }
      if (subscriptions.containsKey(name)) {
        throw alreadyExists(name);
      }
      long origin = topic.log().endOffset();
      try {
        Path dir = subscriptionsDir == null ? null : subscriptionsDir.resolve(encode(name));
        if (dir != null) {
          Files.createDirectories(dir);
          Files.writeString(dir.resolve("origin"), Long.toString(origin));
        }
        AckJournal journal = AckJournal.open(dir, config.fsync(), origin);
        if (dir != null) {
          writeAtomically(dir.resolve("subscription.pb"), created);
        }
        SubscriptionState state = newSubscription(created, topic, filter, journal, origin);
        subscriptions.put(name, state);
        topic.subscriptions().add(state);
        metrics.subscriptionAdded(name);
      } catch (IOException e) {
        throw internal("could not create subscription " + name, e);
      }
    }
    return created;
  }

  private SubscriptionState newSubscription(
      Subscription subscription,
      @Nullable TopicState topic,
      AttributeFilter filter,
      AckJournal journal,
      long origin) {
    return new SubscriptionState(
        subscription,
        topic,
        filter,
        journal,
        origin,
        clock,
        dispatcher,
        metrics,
        (deadLetterTopic, message) -> {
          TopicState target = topics.get(deadLetterTopic);
          if (target == null) {
            return CompletableFuture.failedFuture(notFound("Dead-letter topic", deadLetterTopic));
          }
          return append(target, List.of(message), null);
        });
  }

  Subscription getSubscription(String name) {
    return requireSubscription(name).config();
  }

  ListSubscriptionsResponse listSubscriptions(ListSubscriptionsRequest request) {
    ResourceNames.checkProject(request.getProject());
    String prefix = request.getProject() + "/subscriptions/";
    ListSubscriptionsResponse.Builder response = ListSubscriptionsResponse.newBuilder();
    String next =
        page(
            subscriptions,
            prefix,
            request.getPageSize(),
            request.getPageToken(),
            s -> response.addSubscriptions(s.config()));
    return response.setNextPageToken(next).build();
  }

  void deleteSubscription(String name) {
    ResourceNames.checkSubscription(name);
    synchronized (adminLock) {
      SubscriptionState sub = subscriptions.remove(name);
      if (sub == null) {
        throw notFound("Subscription", name);
      }
      metrics.subscriptionRemoved(name);
      TopicState topic = sub.topic();
      if (topic != null) {
        topic.subscriptions().remove(sub);
      }
      try {
        Path dir = subscriptionsDir == null ? null : subscriptionsDir.resolve(encode(name));
        if (dir != null) {
          Files.deleteIfExists(dir.resolve("subscription.pb"));
        }
        sub.close(true);
        if (dir != null) {
          deleteRecursively(dir);
        }
      } catch (IOException e) {
        throw internal("could not delete subscription " + name, e);
      }
    }
  }

  /** The run-time state of a subscription, for StreamingPull. */
  SubscriptionState requireSubscription(String name) {
    ResourceNames.checkSubscription(name);
    SubscriptionState sub = subscriptions.get(name);
    if (sub == null) {
      throw notFound("Subscription", name);
    }
    return sub;
  }

  /** Messages of a subscription published since its position and not yet acknowledged. */
  long unacknowledged(String subscription) {
    return requireSubscription(subscription).unacknowledged();
  }

  long undelivered(String subscription) {
    return requireSubscription(subscription).undelivered();
  }

  int acknowledgeLeased(String subscription) {
    return requireSubscription(subscription).acknowledgeLeased();
  }

  /**
   * Leases up to {@code max_messages} messages. If none are available and the request does not ask
   * to return immediately, waits up to the configured pull wait for some to arrive.
   */
  CompletableFuture<PullResponse> pull(PullRequest request) {
    SubscriptionState sub = requireSubscription(request.getSubscription());
    if (request.getMaxMessages() <= 0) {
      throw invalid("max_messages must be positive (got " + request.getMaxMessages() + ").");
    }
    PullSink sink =
        new PullSink(
            Math.min(request.getMaxMessages(), MAX_PULL_MESSAGES),
            sub.config().getAckDeadlineSeconds());
    @SuppressWarnings("deprecation") // Pub/Sub discourages it; Beam still sends it.
    boolean returnImmediately = request.getReturnImmediately();
    List<ReceivedMessage> now = sub.leaseNow(sink);
    if (!now.isEmpty() || returnImmediately) {
      return CompletableFuture.completedFuture(
          PullResponse.newBuilder().addAllReceivedMessages(now).build());
    }
    sink.result.whenComplete((messages, error) -> sub.removeSink(sink));
    sub.addSink(sink);
    timer.schedule(() -> sub.endWait(sink), config.pullWait().toMillis(), TimeUnit.MILLISECONDS);
    return sink.result.thenApply(
        messages -> PullResponse.newBuilder().addAllReceivedMessages(messages).build());
  }

  void acknowledge(AcknowledgeRequest request) {
    SubscriptionState sub = requireSubscription(request.getSubscription());
    if (request.getAckIdsCount() == 0) {
      throw invalid("ack_ids must not be empty.");
    }
    sub.acknowledge(request.getAckIdsList());
  }

  void modifyAckDeadline(ModifyAckDeadlineRequest request) {
    SubscriptionState sub = requireSubscription(request.getSubscription());
    checkAckDeadlineExtension(request.getAckDeadlineSeconds());
    if (request.getAckIdsCount() == 0) {
      throw invalid("ack_ids must not be empty.");
    }
    sub.modifyAckDeadline(request.getAckIdsList(), request.getAckDeadlineSeconds());
  }

  static void checkAckDeadlineExtension(int seconds) {
    if (seconds < 0 || seconds > 600) {
      throw invalid("ack_deadline_seconds must be between 0 and 600 (got " + seconds + ").");
    }
  }

  /**
   * Seeks to a time: messages published before it count as acknowledged, later ones as not. How far
   * back it can go depends on what is retained: with topic retention, anything still in the topic's
   * log; with {@code retain_acked_messages}, messages within the subscription's retention since its
   * creation; otherwise acknowledged messages are gone and only unacknowledged ones are
   * redelivered.
   */
  SeekResponse seek(SeekRequest request) {
    SubscriptionState sub = requireSubscription(request.getSubscription());
    if (!request.getSnapshot().isEmpty()) {
      SnapshotState snapshot = requireSnapshot(request.getSnapshot());
      if (!snapshot.config().getTopic().equals(sub.config().getTopic())) {
        throw invalid(
            "The snapshot's topic ("
                + snapshot.config().getTopic()
                + ") is not the subscription's topic ("
                + sub.config().getTopic()
                + ").");
      }
      sub.seekToSnapshot(snapshot.cursor(), snapshot.ackedAbove());
      return SeekResponse.getDefaultInstance();
    }
    if (!request.hasTime()) {
      throw invalid("A seek needs a time or a snapshot.");
    }
    TopicState topic = sub.topic();
    if (topic == null) {
      return SeekResponse.getDefaultInstance();
    }
    SegmentedLog log = topic.log();
    try {
      long target = log.offsetForTime(Micros.of(request.getTime()));
      if (target >= sub.cursor()) {
        sub.seek(target);
        return SeekResponse.getDefaultInstance();
      }
      long floor;
      Subscription c = sub.config();
      if (topic.config().hasMessageRetentionDuration()) {
        floor = log.startOffset();
      } else if (c.getRetainAckedMessages()) {
        long retainedSince =
            Micros.now(clock) - Durations.toMicros(c.getMessageRetentionDuration());
        floor =
            Math.max(Math.max(log.startOffset(), sub.origin()), log.offsetForTime(retainedSince));
      } else {
        sub.redeliverOutstanding();
        return SeekResponse.getDefaultInstance();
      }
      sub.seek(Math.max(target, floor));
    } catch (IOException e) {
      throw internal("could not seek " + sub.name(), e);
    }
    return SeekResponse.getDefaultInstance();
  }

  // ---------------------------------------------------------------------------------------------
  // Snapshots

  /**
   * Captures a subscription's acknowledgement state. As in Pub/Sub the snapshot lives 7 days minus
   * the age of the subscription's oldest unacknowledged message, and one that would live less than
   * an hour is refused with FAILED_PRECONDITION. Until it expires, the topic's log keeps every
   * message the snapshot does not count as acknowledged.
   */
  Snapshot createSnapshot(CreateSnapshotRequest request) {
    SubscriptionState sub = requireSubscription(request.getSubscription());
    String name = request.getName();
    ResourceNames.checkSnapshot(name);
    TopicState topic = sub.topic();
    if (topic == null) {
      throw Status.FAILED_PRECONDITION
          .withDescription("The subscription's topic was deleted; it has nothing to snapshot.")
          .asRuntimeException();
    }
    synchronized (adminLock) {
      if (liveSnapshot(name) != null) {
        throw alreadyExists(name);
      }
      AckJournal.State state = sub.ackState();
      long now = Micros.now(clock);
      long oldest = now;
      try {
        List<LogRecord> first = topic.log().read(state.cursor(), 1, Integer.MAX_VALUE);
        if (!first.isEmpty()) {
          oldest = Math.min(now, first.get(0).publishTimeMicros());
        }
      } catch (IOException e) {
        throw internal("could not read the backlog of " + sub.name(), e);
      }
      long expire = oldest + SNAPSHOT_LIFETIME_MICROS;
      if (expire - now < MIN_SNAPSHOT_LIFETIME_MICROS) {
        throw Status.FAILED_PRECONDITION
            .withDescription(
                "The subscription's backlog is too old: its oldest unacknowledged message was"
                    + " published at "
                    + Timestamps.toString(Timestamps.fromMicros(oldest))
                    + ", so the snapshot would expire in less than 1 hour.")
            .asRuntimeException();
      }
      Snapshot snapshot =
          Snapshot.newBuilder()
              .setName(name)
              .setTopic(topic.name())
              .setExpireTime(Timestamps.fromMicros(expire))
              .putAllLabels(request.getLabelsMap())
              .build();
      try {
        if (snapshotsDir != null) {
          Path dir = snapshotsDir.resolve(encode(name));
          Files.createDirectories(dir);
          AckJournal.writeState(dir.resolve("acks.state"), state);
          writeAtomically(dir.resolve("snapshot.pb"), snapshot);
        }
      } catch (IOException e) {
        throw internal("could not create snapshot " + name, e);
      }
      snapshots.put(name, new SnapshotState(snapshot, state.cursor(), state.ackedAboveCursor()));
      return snapshot;
    }
  }

  Snapshot getSnapshot(String name) {
    return requireSnapshot(name).config();
  }

  ListSnapshotsResponse listSnapshots(ListSnapshotsRequest request) {
    ResourceNames.checkProject(request.getProject());
    String prefix = request.getProject() + "/snapshots/";
    long now = Micros.now(clock);
    NavigableMap<String, SnapshotState> live = new java.util.TreeMap<>();
    snapshots.forEach(
        (name, s) -> {
          if (!s.expiredAt(now)) {
            live.put(name, s);
          }
        });
    ListSnapshotsResponse.Builder response = ListSnapshotsResponse.newBuilder();
    String next =
        page(
            live,
            prefix,
            request.getPageSize(),
            request.getPageToken(),
            s -> response.addSnapshots(s.config()));
    return response.setNextPageToken(next).build();
  }

  ListTopicSnapshotsResponse listTopicSnapshots(ListTopicSnapshotsRequest request) {
    TopicState topic = requireTopic(request.getTopic());
    long now = Micros.now(clock);
    List<String> names = new ArrayList<>();
    for (SnapshotState s : snapshots.values()) {
      if (s.config().getTopic().equals(topic.name()) && !s.expiredAt(now)) {
        names.add(s.config().getName());
      }
    }
    ListTopicSnapshotsResponse.Builder response = ListTopicSnapshotsResponse.newBuilder();
    String next =
        pageOfNames(names, request.getPageSize(), request.getPageToken(), response::addSnapshots);
    return response.setNextPageToken(next).build();
  }

  /** Updates a snapshot's labels or expiry time, the fields Pub/Sub lets an update change. */
  Snapshot updateSnapshot(UpdateSnapshotRequest request) {
    String name = request.getSnapshot().getName();
    if (request.getUpdateMask().getPathsCount() == 0) {
      throw invalid("update_mask must name at least one field (labels, expire_time).");
    }
    synchronized (adminLock) {
      SnapshotState current = requireSnapshot(name);
      Snapshot.Builder updated = current.config().toBuilder();
      for (String path : request.getUpdateMask().getPathsList()) {
        switch (path) {
          case "labels" -> updated.clearLabels().putAllLabels(request.getSnapshot().getLabelsMap());
          case "expire_time" -> updated.setExpireTime(request.getSnapshot().getExpireTime());
          default ->
              throw invalid(
                  "A snapshot's " + path + " cannot be updated (only labels and expire_time).");
        }
      }
      Snapshot snapshot = updated.build();
      try {
        if (snapshotsDir != null) {
          writeAtomically(snapshotsDir.resolve(encode(name)).resolve("snapshot.pb"), snapshot);
        }
      } catch (IOException e) {
        throw internal("could not update snapshot " + name, e);
      }
      snapshots.put(name, new SnapshotState(snapshot, current.cursor(), current.ackedAbove()));
      return snapshot;
    }
  }

  void deleteSnapshot(String name) {
    synchronized (adminLock) {
      requireSnapshot(name);
      removeSnapshot(name);
    }
  }

  private void removeSnapshot(String name) {
    snapshots.remove(name);
    if (snapshotsDir == null) {
      return;
    }
    try {
      Path dir = snapshotsDir.resolve(encode(name));
      Files.deleteIfExists(dir.resolve("snapshot.pb"));
      deleteRecursively(dir);
    } catch (IOException e) {
      throw internal("could not delete snapshot " + name, e);
    }
  }

  /** Removes snapshots past their expiry time, so retention may delete what they held. */
  private void deleteExpiredSnapshots(long now) {
    synchronized (adminLock) {
      for (SnapshotState s : List.copyOf(snapshots.values())) {
        if (s.expiredAt(now)) {
          logger.info("snapshot {} expired; deleting it", s.config().getName());
          removeSnapshot(s.config().getName());
        }
      }
    }
  }

  private @Nullable SnapshotState liveSnapshot(String name) {
    SnapshotState s = snapshots.get(name);
    return s == null || s.expiredAt(Micros.now(clock)) ? null : s;
  }

  private SnapshotState requireSnapshot(String name) {
    ResourceNames.checkSnapshot(name);
    SnapshotState s = liveSnapshot(name);
    if (s == null) {
      throw notFound("Snapshot", name);
    }
    return s;
  }

  // ---------------------------------------------------------------------------------------------
  // Retention, durability, lifecycle

  /**
   * Deletes expired snapshots, then gives disk back on every topic: deletes the sealed segments
   * nothing needs (no subscription's unacknowledged message, no snapshot, no retention) and
   * compacts the mostly unneeded ones ({@link LogReclaimer} has the rules). The background thread
   * runs this every retention-check interval; one pass runs at a time.
   */
  void applyRetention() throws IOException {
    synchronized (reclaimLock) {
      deleteExpiredSnapshots(Micros.now(clock));
      List<SnapshotState> live = List.copyOf(snapshots.values());
      for (TopicState topic : topics.values()) {
        reclaimer.reclaim(topic, live);
      }
    }
  }

  private void applyRetentionQuietly() {
    try {
      applyRetention();
    } catch (IOException | RuntimeException e) {
      logger.warn("retention failed; will retry", e);
    }
  }

  private void syncQuietly() {
    for (TopicState topic : topics.values()) {
      try {
        topic.log().sync();
      } catch (IOException e) {
        logger.warn("fsync of {} failed", topic.name(), e);
      }
    }
    for (SubscriptionState sub : subscriptions.values()) {
      try {
        sub.sync();
      } catch (IOException e) {
        logger.warn("fsync of {} failed", sub.name(), e);
      }
    }
  }

  /**
   * Ends the calls that never end by themselves: waiting Pulls and StreamingPull streams are
   * answered UNAVAILABLE so their clients reconnect elsewhere (or later). Publishes, acks and the
   * other unary calls keep working until {@link #close()}.
   */
  void endStreams() {
    for (SubscriptionState sub : subscriptions.values()) {
      sub.endStreams();
    }
  }

  /** Stops timers and delivery, then closes every log and journal (flushing them). */
  @Override
  public void close() throws IOException {
    timer.shutdownNow();
    // Not interrupted: an interrupt during a read would close the segment's channel under its
    // readers. A compaction under way stops at its next read once its log is closed below.
    reclaimThread.shutdown();
    IOException failure = null;
    for (SubscriptionState sub : subscriptions.values()) {
      try {
        sub.close(false);
      } catch (IOException e) {
        failure = e;
      }
    }
    for (TopicState topic : topics.values()) {
      try {
        topic.log().close();
      } catch (IOException e) {
        failure = e;
      }
    }
    dispatcher.shutdownNow();
    if (ownedCommitter != null) {
      ownedCommitter.shutdown();
    }
    if (failure != null) {
      throw failure;
    }
  }

  private void recover() throws IOException {
    if (topicsDir == null || subscriptionsDir == null) {
      return;
    }
    Files.createDirectories(topicsDir);
    Files.createDirectories(subscriptionsDir);
    for (Path dir : list(topicsDir)) {
      Path pb = dir.resolve("topic.pb");
      if (!Files.exists(pb)) {
        logger.warn("removing {}: a topic creation or deletion was interrupted", dir);
        repairs.add(removedInterrupted(dir, "topic"));
        deleteRecursively(dir);
        continue;
      }
      Topic topic = Topic.parseFrom(Files.readAllBytes(pb));
      SegmentedLog log = SegmentedLog.open(dir, config.logConfig(), clock, committer);
      repairs.addAll(log.repairs());
      topics.put(topic.getName(), new TopicState(topic, log));
    }
    for (Path dir : list(subscriptionsDir)) {
      Path pb = dir.resolve("subscription.pb");
      if (!Files.exists(pb)) {
        logger.warn("removing {}: a subscription creation or deletion was interrupted", dir);
        repairs.add(removedInterrupted(dir, "subscription"));
        deleteRecursively(dir);
        continue;
      }
      Subscription subscription = Subscription.parseFrom(Files.readAllBytes(pb));
      long origin = Long.parseLong(Files.readString(dir.resolve("origin")).trim());
      AttributeFilter filter;
      try {
        filter = AttributeFilter.parse(subscription.getFilter());
      } catch (FilterSyntaxException e) {
        throw new IOException("stored filter of " + subscription.getName() + " does not parse", e);
      }
      TopicState topic = topics.get(subscription.getTopic());
      AckJournal journal = AckJournal.open(dir, config.fsync(), origin);
      repairs.addAll(journal.repairs());
      SubscriptionState state = newSubscription(subscription, topic, filter, journal, origin);
      subscriptions.put(subscription.getName(), state);
      metrics.subscriptionAdded(subscription.getName());
      if (topic != null) {
        topic.subscriptions().add(state);
      }
    }
    Files.createDirectories(snapshotsDir);
    for (Path dir : list(snapshotsDir)) {
      Path pb = dir.resolve("snapshot.pb");
      AckJournal.State state =
          Files.exists(pb) ? AckJournal.readState(dir.resolve("acks.state")) : null;
      if (state == null) {
        logger.warn("removing {}: a snapshot creation or deletion was interrupted", dir);
        repairs.add(removedInterrupted(dir, "snapshot"));
        deleteRecursively(dir);
        continue;
      }
      Snapshot snapshot = Snapshot.parseFrom(Files.readAllBytes(pb));
      snapshots.put(
          snapshot.getName(),
          new SnapshotState(snapshot, state.cursor(), state.ackedAboveCursor()));
    }
    repairs.forEach(metrics::repaired);
    if (repairs.isEmpty()) {
      logger.info(
          "recovered {} topic(s) and {} subscription(s) from {}: nothing needed repair",
          topics.size(),
          subscriptions.size(),
          topicsDir.getParent());
    } else {
      // The startup report: one line per repair, so an operator sees what was cut and why.
      logger.warn(
          "recovered {} topic(s) and {} subscription(s) from {} with {} repair(s):",
          topics.size(),
          subscriptions.size(),
          topicsDir.getParent(),
          repairs.size());
      for (Repair repair : repairs) {
        logger.warn("  repaired: {}", repair);
      }
    }
  }

  private static Repair removedInterrupted(Path dir, String what) throws IOException {
    long bytes;
    try (Stream<Path> walk = Files.walk(dir)) {
      bytes = walk.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
    return new Repair(
        Repair.Kind.INTERRUPTED_CREATE_OR_DELETE_REMOVED,
        dir,
        bytes,
        "a " + what + " directory without its metadata (a create or delete cut short) was removed");
  }

  private TopicState requireTopic(String name) {
    ResourceNames.checkTopic(name);
    TopicState topic = topics.get(name);
    if (topic == null) {
      throw notFound("Topic", name);
    }
    return topic;
  }

  private static <T> String page(
      NavigableMap<String, T> map,
      String prefix,
      int requestedSize,
      String token,
      java.util.function.Consumer<T> add) {
    int size = pageSize(requestedSize);
    String from = token.isEmpty() ? prefix : token;
    int n = 0;
    String last = null;
    for (Map.Entry<String, T> e : map.tailMap(from, token.isEmpty()).entrySet()) {
      if (!e.getKey().startsWith(prefix)) {
        break;
      }
      if (n == size) {
        return last;
      }
      add.accept(e.getValue());
      last = e.getKey();
      n++;
    }
    return "";
  }

  private static int pageSize(int requested) {
    return requested <= 0 ? 100 : Math.min(requested, 1000);
  }

  private static void checkRetention(Duration retention, String field) {
    if (Durations.compare(retention, MIN_RETENTION) < 0
        || Durations.compare(retention, MAX_RETENTION) > 0) {
      throw invalid(field + " must be between 10 minutes and 31 days.");
    }
  }

  private static String encode(String name) {
    return URLEncoder.encode(name, StandardCharsets.UTF_8);
  }

  static String decode(String fileName) {
    return URLDecoder.decode(fileName, StandardCharsets.UTF_8);
  }

  private static void writeAtomically(Path path, Message message) throws IOException {
    Files.createDirectories(path.getParent());
    Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
    try (var channel =
        java.nio.channels.FileChannel.open(
            tmp,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      var buffer = java.nio.ByteBuffer.wrap(message.toByteArray());
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      channel.force(true);
    }
    Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static List<Path> list(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        if (Files.isDirectory(p)) {
          out.add(p);
        }
      }
    }
    out.sort(null);
    return out;
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  static StatusRuntimeException invalid(String description) {
    return Status.INVALID_ARGUMENT.withDescription(description).asRuntimeException();
  }

  static StatusRuntimeException unimplemented(String description) {
    return Status.UNIMPLEMENTED.withDescription(description).asRuntimeException();
  }

  private static StatusRuntimeException notFound(String kind, String name) {
    return Status.NOT_FOUND
        .withDescription(kind + " not found (resource=" + name + ").")
        .asRuntimeException();
  }

  private static StatusRuntimeException alreadyExists(String name) {
    return Status.ALREADY_EXISTS
        .withDescription("Resource already exists in the project (resource=" + name + ").")
        .asRuntimeException();
  }

  private static StatusRuntimeException internal(String what, Throwable cause) {
    logger.error(what, cause);
    return Status.INTERNAL
        .withDescription(what + ": " + cause.getMessage())
        .withCause(cause)
        .asRuntimeException();
  }

  /** One waiting Pull call: takes a single batch, then is done. */
  static final class PullSink implements DeliverySink {
    private final int maxMessages;
    private final int ackDeadlineSeconds;
    final CompletableFuture<List<ReceivedMessage>> result = new CompletableFuture<>();

    /** Guarded by the subscription lock: set once a batch (or the timeout) has claimed the call. */
    boolean claimed;

    PullSink(int maxMessages, int ackDeadlineSeconds) {
      this.maxMessages = maxMessages;
      this.ackDeadlineSeconds = ackDeadlineSeconds;
    }

    @Override
    public int availableMessages() {
      return claimed ? 0 : maxMessages;
    }

    @Override
    public long availableBytes() {
      return claimed ? 0 : Long.MAX_VALUE;
    }

    @Override
    public void claimed(int count, long bytes) {
      claimed = true;
    }

    @Override
    public void deliver(List<ReceivedMessage> messages) {
      result.complete(messages);
    }

    @Override
    public void released(int count, long bytes) {}

    @Override
    public void fail(Status status) {
      result.completeExceptionally(status.asRuntimeException());
    }

    @Override
    public int ackDeadlineSeconds() {
      return ackDeadlineSeconds;
    }
  }
}

package io.eventflow.broker;

import java.io.IOException;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.IncomingMessage;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.SubscriptionPath;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.TopicPath;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubJsonClient;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/**
 * An in-memory eventflow-broker on a free loopback port with Beam's REST client ({@link
 * PubsubJsonClient}) to set it up and to publish and pull, the way Beam jobs reach it through
 * {@code --pubsubRootUrl}. The Beam helpers' tests (eventflow-beam) and ingest's job-over-the-wire
 * test use it from this module's test-jar; tests through the official gRPC clients use {@link
 * BrokerFixture}.
 */
public final class BeamBrokerFixture implements AutoCloseable {
  /** The project every topic and subscription of the fixture lives in. */
  public static final String PROJECT_ID = BrokerFixture.PROJECT_ID;

  private final Broker broker;
  private final PubsubClient client;

  private BeamBrokerFixture() throws IOException {
    broker = Broker.start(BrokerConfig.builder().inMemory().port(0).build());
    client = PubsubJsonClient.FACTORY.newClient(null, null, options(broker.restRootUrl()));
  }

  /** Starts the broker and connects the REST client. */
  public static BeamBrokerFixture start() throws IOException {
    return new BeamBrokerFixture();
  }

  /** Beam options that reach a broker's REST API at {@code rootUrl} without credentials. */
  public static PubsubOptions options(String rootUrl) {
    PubsubOptions options = PipelineOptionsFactory.create().as(PubsubOptions.class);
    options.setPubsubRootUrl(rootUrl);
    options.setProject(PROJECT_ID);
    options.setCredentialFactoryClass(NoopCredentialFactory.class);
    return options;
  }

  /** Returns the running broker. */
  public Broker broker() {
    return broker;
  }

  /** Returns Beam's REST client, connected to the broker. */
  public PubsubClient client() {
    return client;
  }

  /** Returns the REST root URL, the value of {@code --pubsubRootUrl}. */
  public String rootUrl() {
    return broker.restRootUrl();
  }

  /** Returns topic {@code name} of the fixture's project. */
  public static TopicPath topic(String name) {
    return PubsubClient.topicPathFromName(PROJECT_ID, name);
  }

  /** Returns subscription {@code name} of the fixture's project. */
  public static SubscriptionPath subscription(String name) {
    return PubsubClient.subscriptionPathFromName(PROJECT_ID, name);
  }

  /** Creates topic {@code name} and subscription {@code name} on it; returns the subscription. */
  public SubscriptionPath topicWithSubscription(String name) throws IOException {
    return topicWithSubscription(name, name);
  }

  /**
   * Creates topic {@code topicName} and subscription {@code subscriptionName} on it (a 60 s ack
   * deadline); returns the subscription.
   */
  public SubscriptionPath topicWithSubscription(String topicName, String subscriptionName)
      throws IOException {
    TopicPath topic = topic(topicName);
    SubscriptionPath subscription = subscription(subscriptionName);
    client.createTopic(topic);
    client.createSubscription(topic, subscription, 60);
    return subscription;
  }

  /** One pull that returns at once, up to {@code max} messages, acknowledged before returning. */
  public List<IncomingMessage> pullAndAck(SubscriptionPath subscription, int max)
      throws IOException {
    List<IncomingMessage> messages = client.pull(0, subscription, max, true);
    if (!messages.isEmpty()) {
      client.acknowledge(
          subscription, messages.stream().map(IncomingMessage::ackId).collect(Collectors.toList()));
    }
    return messages;
  }

  /** Closes the client and the broker. */
  @Override
  public void close() throws IOException {
    client.close();
    broker.close();
  }
}

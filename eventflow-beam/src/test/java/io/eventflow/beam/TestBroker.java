package io.eventflow.beam;

import io.eventflow.broker.Broker;
import io.eventflow.broker.BrokerConfig;
import java.io.IOException;
import org.apache.beam.sdk.extensions.gcp.auth.NoopCredentialFactory;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.SubscriptionPath;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubClient.TopicPath;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubJsonClient;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;

/** An in-memory eventflow-broker on a free loopback port, with a REST client to set it up. */
final class TestBroker implements AutoCloseable {
  static final String PROJECT = "eventflow-test";

  final Broker broker;
  final PubsubClient client;

  TestBroker() throws IOException {
    broker = Broker.start(BrokerConfig.builder().inMemory().port(0).build());
    PubsubOptions options = PipelineOptionsFactory.create().as(PubsubOptions.class);
    options.setPubsubRootUrl(broker.restRootUrl());
    options.setCredentialFactoryClass(NoopCredentialFactory.class);
    client = PubsubJsonClient.FACTORY.newClient(null, null, options);
  }

  /** Creates topic {@code name} and subscription {@code name} on it; returns the subscription. */
  SubscriptionPath topicWithSubscription(String name) throws IOException {
    TopicPath topic = topic(name);
    SubscriptionPath subscription = PubsubClient.subscriptionPathFromName(PROJECT, name);
    client.createTopic(topic);
    client.createSubscription(topic, subscription, 60);
    return subscription;
  }

  static TopicPath topic(String name) {
    return PubsubClient.topicPathFromName(PROJECT, name);
  }

  String rootUrl() {
    return broker.restRootUrl();
  }

  @Override
  public void close() throws IOException {
    client.close();
    broker.close();
  }
}

package io.eventflow.beam;

import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.LoadingCache;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.GrpcTransportChannel;
import com.google.api.gax.rpc.FixedTransportChannelProvider;
import com.google.cloud.pubsub.v1.stub.GrpcPublisherStub;
import com.google.cloud.pubsub.v1.stub.GrpcSubscriberStub;
import com.google.cloud.pubsub.v1.stub.PublisherStub;
import com.google.cloud.pubsub.v1.stub.PublisherStubSettings;
import com.google.cloud.pubsub.v1.stub.SubscriberStub;
import com.google.cloud.pubsub.v1.stub.SubscriberStubSettings;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * Where Pub/Sub's gRPC API is, derived from Beam's {@code --pubsubRootUrl}: {@code
 * http://host:port} is an emulator or eventflow-broker (plaintext, no credentials; the broker
 * serves gRPC and REST on one port), {@code https://host} is Google's service (TLS on 443,
 * Application Default Credentials).
 *
 * @param hostAndPort the gRPC target
 * @param plaintext whether to connect without TLS and credentials
 */
public record PubsubEndpoint(String hostAndPort, boolean plaintext) implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * Subscriber stubs shared by every reader and checkpoint of one JVM, one per endpoint. A runner
   * finalizes checkpoints after their reader may be closed, so the stub outlives readers; an unused
   * stub is closed after a minute.
   */
  private static final LoadingCache<PubsubEndpoint, Connection> CONNECTIONS =
      Caffeine.newBuilder()
          .expireAfterAccess(Duration.ofMinutes(1))
          .<PubsubEndpoint, Connection>removalListener(
              (endpoint, connection, cause) -> {
                if (connection != null && cause != RemovalCause.REPLACED) {
                  connection.close();
                }
              })
          .build(PubsubEndpoint::connect);

  /** Stubs and, for plaintext endpoints, the channel they were given (which they do not close). */
  private record Connection(
      SubscriberStub subscriber, PublisherStub publisher, @Nullable ManagedChannel channel) {
    void close() {
      subscriber.close();
      publisher.close();
      if (channel != null) {
        channel.shutdown();
      }
    }
  }

  /**
   * Returns the endpoint of a Beam {@code --pubsubRootUrl}.
   *
   * @throws IllegalArgumentException if the URL is not {@code http(s)://host[:port]}
   */
  public static PubsubEndpoint fromRootUrl(String rootUrl) {
    URI uri;
    try {
      uri = URI.create(rootUrl);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--pubsubRootUrl is not a URL: " + rootUrl, e);
    }
    String scheme = String.valueOf(uri.getScheme());
    if (uri.getHost() == null || !(scheme.equals("http") || scheme.equals("https"))) {
      throw new IllegalArgumentException(
          "--pubsubRootUrl must be http://host:port or https://host, got " + rootUrl);
    }
    boolean plaintext = scheme.equals("http");
    int port = uri.getPort() >= 0 ? uri.getPort() : plaintext ? 80 : 443;
    return new PubsubEndpoint(uri.getHost() + ":" + port, plaintext);
  }

  /** Returns this JVM's subscriber stub for the endpoint, connecting on first use. */
  SubscriberStub subscriber() {
    return CONNECTIONS.get(this).subscriber();
  }

  /** Returns this JVM's publisher stub for the endpoint, connecting on first use. */
  PublisherStub publisher() {
    return CONNECTIONS.get(this).publisher();
  }

  private static Connection connect(PubsubEndpoint endpoint) {
    SubscriberStubSettings.Builder subscriber = SubscriberStubSettings.newBuilder();
    PublisherStubSettings.Builder publisher = PublisherStubSettings.newBuilder();
    // Publish calls go out as the caller made them: PublishPubsubMessages sends full batches of
    // messages already in wire form (PubsubMessageBytes), which the stub's own batching would take
    // apart and build again (and whose unknown-field form it cannot merge).
    publisher
        .publishSettings()
        .setBatchingSettings(
            publisher.publishSettings().getBatchingSettings().toBuilder()
                .setIsEnabled(false)
                .build());
    ManagedChannel channel = null;
    if (endpoint.plaintext()) {
      channel =
          ManagedChannelBuilder.forTarget(endpoint.hostAndPort())
              .usePlaintext()
              // A pull answer holds up to 1,000 messages of up to 10 MB in all.
              .maxInboundMessageSize(20 * 1024 * 1024)
              .build();
      FixedTransportChannelProvider channels =
          FixedTransportChannelProvider.create(GrpcTransportChannel.create(channel));
      subscriber
          .setTransportChannelProvider(channels)
          .setCredentialsProvider(NoCredentialsProvider.create());
      publisher
          .setTransportChannelProvider(channels)
          .setCredentialsProvider(NoCredentialsProvider.create());
    } else {
      subscriber.setEndpoint(endpoint.hostAndPort());
      publisher.setEndpoint(endpoint.hostAndPort());
    }
    try {
      return new Connection(
          GrpcSubscriberStub.create(subscriber.build()),
          GrpcPublisherStub.create(publisher.build()),
          channel);
    } catch (IOException e) {
      if (channel != null) {
        channel.shutdownNow();
      }
      throw new UncheckedIOException("cannot connect to Pub/Sub at " + endpoint.hostAndPort(), e);
    }
  }
}

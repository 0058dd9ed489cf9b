package io.eventflow.publisher;

import com.google.cloud.pubsub.v1.MockPublisherImpl;
import com.google.common.net.HostAndPort;
import com.google.pubsub.v1.PublishRequest;
import com.google.pubsub.v1.PublishResponse;
import com.google.pubsub.v1.PubsubMessage;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * google-cloud-pubsub's mock Publisher service ({@link MockPublisherImpl}, from the client's
 * test-jar) served over plaintext gRPC on a free loopback port, the way an emulator is: point an
 * {@link EventPublisher} at {@link #hostAndPort()} as its emulator host.
 *
 * <p>The mock answers each request from a queue of canned responses; this fixture queues, for each
 * request as it arrives, the answer Pub/Sub would give (one message id per message) unless a
 * failure was asked for. It also records what a test needs to pin down: the requests, the most
 * events in flight at once, and the {@code grpc-encoding} of each request.
 */
public final class MockPubSubServer implements AutoCloseable {
  private static final Metadata.Key<String> ENCODING =
      Metadata.Key.of("grpc-encoding", Metadata.ASCII_STRING_MARSHALLER);

  private final RecordingPublisher publisher = new RecordingPublisher();
  private final List<String> encodings = new ArrayList<>();
  private final Server server;

  private MockPubSubServer() throws IOException {
    ServerInterceptor recordEncoding =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            String encoding = headers.get(ENCODING);
            synchronized (encodings) {
              encodings.add(encoding == null ? "identity" : encoding);
            }
            return next.startCall(call, headers);
          }
        };
    this.server =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .addService(ServerInterceptors.intercept(publisher, recordEncoding))
            .build()
            .start();
  }

  /** Starts a mock Pub/Sub on a free loopback port. */
  public static MockPubSubServer start() throws IOException {
    return new MockPubSubServer();
  }

  /** Returns the {@code host:port} to use as the emulator host. */
  public String hostAndPort() {
    return HostAndPort.fromParts(
            InetAddress.getLoopbackAddress().getHostAddress(), server.getPort())
        .toString();
  }

  /** Returns the publish requests answered successfully, in the order they were answered. */
  public List<PublishRequest> requests() {
    synchronized (publisher) {
      List<PublishRequest> requests = new ArrayList<>();
      publisher.getRequests().forEach(r -> requests.add((PublishRequest) r));
      return requests;
    }
  }

  /** Returns every message of every successful request, in the order they were answered. */
  public List<PubsubMessage> messages() {
    List<PubsubMessage> messages = new ArrayList<>();
    requests().forEach(r -> messages.addAll(r.getMessagesList()));
    return messages;
  }

  /** Returns the {@code grpc-encoding} of every call, "identity" when uncompressed. */
  public List<String> requestEncodings() {
    synchronized (encodings) {
      return List.copyOf(encodings);
    }
  }

  /** Returns the most messages the server held unanswered at any one time. */
  public int maxMessagesInFlight() {
    synchronized (publisher) {
      return publisher.maxInFlight;
    }
  }

  /** Makes the server hold every request unanswered until {@link #releaseResponses()}. */
  public void holdResponses() {
    synchronized (publisher) {
      publisher.hold = new CountDownLatch(1);
    }
  }

  /** Answers the held requests and stops holding. */
  public void releaseResponses() {
    synchronized (publisher) {
      publisher.hold.countDown();
    }
  }

  /** Makes the next publish request fail with the given status. */
  public void failNextPublish(Status status) {
    synchronized (publisher) {
      publisher.addException(status.asRuntimeException());
      publisher.failuresQueued++;
    }
  }

  /** Makes every publish request from now on fail with the given status. */
  public void failEveryPublish(Status status) {
    synchronized (publisher) {
      publisher.failure = status;
    }
  }

  /** Stops the server, answering any held requests first. */
  @Override
  public void close() {
    releaseResponses();
    server.shutdownNow();
    try {
      server.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The mock, answering each request the way Pub/Sub would unless a failure was queued. */
  private static final class RecordingPublisher extends MockPublisherImpl {
    // Guarded by this.
    private CountDownLatch hold = new CountDownLatch(0);
    private int failuresQueued;
    private Status failure;
    private long nextMessageId = 1;
    private int inFlight;
    private int maxInFlight;

    @Override
    public void publish(PublishRequest request, StreamObserver<PublishResponse> responseObserver) {
      int messages = request.getMessagesCount();
      CountDownLatch latch;
      synchronized (this) {
        inFlight += messages;
        maxInFlight = Math.max(maxInFlight, inFlight);
        latch = hold;
      }
      try {
        latch.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        responseObserver.onError(Status.CANCELLED.asRuntimeException());
        return;
      }
      synchronized (this) {
        inFlight -= messages;
        if (failuresQueued > 0) {
          failuresQueued--;
        } else if (failure != null) {
          addException(failure.asRuntimeException());
        } else {
          PublishResponse.Builder response = PublishResponse.newBuilder();
          for (int i = 0; i < messages; i++) {
            response.addMessageIds(Long.toString(nextMessageId++));
          }
          addResponse(response.build());
        }
        super.publish(request, responseObserver);
      }
    }
  }
}

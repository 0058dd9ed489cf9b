package io.eventflow.broker;

import com.google.pubsub.v1.ReceivedMessage;
import com.google.pubsub.v1.StreamingPullResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One StreamingPull stream as a delivery target. It takes messages while the client's flow control
 * ({@code max_outstanding_messages}/{@code _bytes}, counted from delivery to ack, nack or expiry)
 * and the stream's transport window allow.
 */
final class StreamingPullSink implements DeliverySink {
  private final ServerCallStreamObserver<StreamingPullResponse> out;
  private final SubscriptionState subscription;
  private final long maxMessages;
  private final long maxBytes;
  private volatile int ackDeadlineSeconds;
  private final AtomicLong outstandingMessages = new AtomicLong();
  private final AtomicLong outstandingBytes = new AtomicLong();
  private boolean closed;

  StreamingPullSink(
      ServerCallStreamObserver<StreamingPullResponse> out,
      SubscriptionState subscription,
      long maxMessages,
      long maxBytes,
      int ackDeadlineSeconds) {
    this.out = out;
    this.subscription = subscription;
    // Pub/Sub: zero or negative means no limit.
    this.maxMessages = maxMessages <= 0 ? Long.MAX_VALUE : maxMessages;
    this.maxBytes = maxBytes <= 0 ? Long.MAX_VALUE : maxBytes;
    this.ackDeadlineSeconds = ackDeadlineSeconds;
  }

  SubscriptionState subscription() {
    return subscription;
  }

  void setAckDeadlineSeconds(int seconds) {
    this.ackDeadlineSeconds = seconds;
  }

  @Override
  public int availableMessages() {
    if (isClosed() || !out.isReady()) {
      return 0;
    }
    return (int) Math.max(0, Math.min(Integer.MAX_VALUE, maxMessages - outstandingMessages.get()));
  }

  @Override
  public long availableBytes() {
    return Math.max(0, maxBytes - outstandingBytes.get());
  }

  @Override
  public void claimed(int count, long bytes) {
    outstandingMessages.addAndGet(count);
    outstandingBytes.addAndGet(bytes);
  }

  @Override
  public void deliver(List<ReceivedMessage> messages) {
    synchronized (this) {
      if (closed) {
        return; // The leases expire and the messages go to another consumer.
      }
      StreamingPullResponse.Builder response =
          StreamingPullResponse.newBuilder().addAllReceivedMessages(messages);
      if (subscription.ordering()) {
        // The official subscriber hands messages of one key to the callback one at a time only
        // when the response says the subscription is ordered.
        response.setSubscriptionProperties(
            StreamingPullResponse.SubscriptionProperties.newBuilder()
                .setMessageOrderingEnabled(true));
      }
      out.onNext(response.build());
    }
  }

  @Override
  public void released(int count, long bytes) {
    outstandingMessages.addAndGet(-count);
    outstandingBytes.addAndGet(-bytes);
    subscription.signal();
  }

  @Override
  public void fail(Status status) {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      out.onError(status.asRuntimeException());
    }
  }

  /** Marks the stream ended by the client; with {@code complete}, completes our side too. */
  void close(boolean complete) {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      if (complete) {
        out.onCompleted();
      }
    }
  }

  private synchronized boolean isClosed() {
    return closed;
  }

  @Override
  public int ackDeadlineSeconds() {
    return ackDeadlineSeconds;
  }
}

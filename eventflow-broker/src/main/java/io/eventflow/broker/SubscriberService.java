package io.eventflow.broker;

import com.google.protobuf.Empty;
import com.google.pubsub.v1.AcknowledgeRequest;
import com.google.pubsub.v1.CreateSnapshotRequest;
import com.google.pubsub.v1.DeleteSnapshotRequest;
import com.google.pubsub.v1.DeleteSubscriptionRequest;
import com.google.pubsub.v1.GetSnapshotRequest;
import com.google.pubsub.v1.GetSubscriptionRequest;
import com.google.pubsub.v1.ListSnapshotsRequest;
import com.google.pubsub.v1.ListSnapshotsResponse;
import com.google.pubsub.v1.ListSubscriptionsRequest;
import com.google.pubsub.v1.ListSubscriptionsResponse;
import com.google.pubsub.v1.ModifyAckDeadlineRequest;
import com.google.pubsub.v1.ModifyPushConfigRequest;
import com.google.pubsub.v1.PullRequest;
import com.google.pubsub.v1.PullResponse;
import com.google.pubsub.v1.SeekRequest;
import com.google.pubsub.v1.SeekResponse;
import com.google.pubsub.v1.Snapshot;
import com.google.pubsub.v1.StreamingPullRequest;
import com.google.pubsub.v1.StreamingPullResponse;
import com.google.pubsub.v1.SubscriberGrpc;
import com.google.pubsub.v1.Subscription;
import com.google.pubsub.v1.UpdateSnapshotRequest;
import com.google.pubsub.v1.UpdateSubscriptionRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/** The gRPC {@code google.pubsub.v1.Subscriber} service over a {@link BrokerEngine}. */
final class SubscriberService extends SubscriberGrpc.SubscriberImplBase {
  private final BrokerEngine engine;

  SubscriberService(BrokerEngine engine) {
    this.engine = engine;
  }

  @Override
  public void createSubscription(Subscription request, StreamObserver<Subscription> observer) {
    Calls.unary(observer, () -> engine.createSubscription(request));
  }

  @Override
  public void getSubscription(
      GetSubscriptionRequest request, StreamObserver<Subscription> observer) {
    Calls.unary(observer, () -> engine.getSubscription(request.getSubscription()));
  }

  @Override
  public void updateSubscription(
      UpdateSubscriptionRequest request, StreamObserver<Subscription> observer) {
    Calls.unimplemented(observer, "UpdateSubscription");
  }

  @Override
  public void listSubscriptions(
      ListSubscriptionsRequest request, StreamObserver<ListSubscriptionsResponse> observer) {
    Calls.unary(observer, () -> engine.listSubscriptions(request));
  }

  @Override
  public void deleteSubscription(
      DeleteSubscriptionRequest request, StreamObserver<Empty> observer) {
    Calls.unary(
        observer,
        () -> {
          engine.deleteSubscription(request.getSubscription());
          return Empty.getDefaultInstance();
        });
  }

  @Override
  public void modifyAckDeadline(ModifyAckDeadlineRequest request, StreamObserver<Empty> observer) {
    Calls.unary(
        observer,
        () -> {
          engine.modifyAckDeadline(request);
          return Empty.getDefaultInstance();
        });
  }

  @Override
  public void acknowledge(AcknowledgeRequest request, StreamObserver<Empty> observer) {
    Calls.unary(
        observer,
        () -> {
          engine.acknowledge(request);
          return Empty.getDefaultInstance();
        });
  }

  @Override
  public void pull(PullRequest request, StreamObserver<PullResponse> observer) {
    Calls.async(observer, () -> engine.pull(request));
  }

  @Override
  public StreamObserver<StreamingPullRequest> streamingPull(
      StreamObserver<StreamingPullResponse> responseObserver) {
    ServerCallStreamObserver<StreamingPullResponse> out =
        (ServerCallStreamObserver<StreamingPullResponse>) responseObserver;
    AtomicReference<StreamingPullSink> sinkRef = new AtomicReference<>();
    // gRPC only accepts these handlers during this call, before the first request arrives.
    out.setOnReadyHandler(
        () -> {
          StreamingPullSink sink = sinkRef.get();
          if (sink != null) {
            sink.subscription().signal();
          }
        });
    out.setOnCancelHandler(
        () -> {
          StreamingPullSink sink = sinkRef.get();
          if (sink != null) {
            sink.close(false);
            sink.subscription().removeSink(sink);
          }
        });
    return new StreamObserver<>() {
      @Override
      public void onNext(StreamingPullRequest request) {
        try {
          StreamingPullSink sink = sinkRef.get();
          if (sink == null) {
            sink = open(request);
            sinkRef.set(sink);
            sink.subscription().addSink(sink);
          } else if (request.getStreamAckDeadlineSeconds() != 0) {
            checkStreamDeadline(request.getStreamAckDeadlineSeconds());
            sink.setAckDeadlineSeconds(request.getStreamAckDeadlineSeconds());
          }
          handleAcks(sink.subscription(), request);
        } catch (StatusRuntimeException e) {
          StreamingPullSink sink = sinkRef.get();
          if (sink != null) {
            sink.subscription().removeSink(sink);
            sink.fail(e.getStatus());
          } else {
            out.onError(e);
          }
        }
      }

      private StreamingPullSink open(StreamingPullRequest request) {
        if (request.getSubscription().isEmpty()) {
          throw BrokerEngine.invalid("The first StreamingPullRequest must name a subscription.");
        }
        checkStreamDeadline(request.getStreamAckDeadlineSeconds());
        SubscriptionState sub = engine.requireSubscription(request.getSubscription());
        return new StreamingPullSink(
            out,
            sub,
            request.getMaxOutstandingMessages(),
            request.getMaxOutstandingBytes(),
            request.getStreamAckDeadlineSeconds());
      }

      @Override
      public void onError(Throwable t) {
        end(false);
      }

      @Override
      public void onCompleted() {
        end(true);
      }

      private void end(boolean complete) {
        StreamingPullSink sink = sinkRef.get();
        if (sink != null) {
          sink.subscription().removeSink(sink);
          sink.close(complete);
        } else if (complete) {
          out.onCompleted();
        }
      }
    };
  }

  private static void checkStreamDeadline(int seconds) {
    if (seconds < 10 || seconds > 600) {
      throw Status.INVALID_ARGUMENT
          .withDescription(
              "stream_ack_deadline_seconds must be between 10 and 600 (got " + seconds + ").")
          .asRuntimeException();
    }
  }

  private static void handleAcks(SubscriptionState sub, StreamingPullRequest request) {
    if (request.getAckIdsCount() > 0) {
      sub.acknowledge(request.getAckIdsList());
    }
    int n = request.getModifyDeadlineAckIdsCount();
    if (n != request.getModifyDeadlineSecondsCount()) {
      throw BrokerEngine.invalid(
          "modify_deadline_seconds and modify_deadline_ack_ids must have the same length.");
    }
    // Clients send runs of ids with the same deadline; apply each run as one call.
    int start = 0;
    while (start < n) {
      int seconds = request.getModifyDeadlineSeconds(start);
      BrokerEngine.checkAckDeadlineExtension(seconds);
      List<String> ids = new ArrayList<>();
      int i = start;
      while (i < n && request.getModifyDeadlineSeconds(i) == seconds) {
        ids.add(request.getModifyDeadlineAckIds(i));
        i++;
      }
      sub.modifyAckDeadline(ids, seconds);
      start = i;
    }
  }

  @Override
  public void modifyPushConfig(ModifyPushConfigRequest request, StreamObserver<Empty> observer) {
    Calls.unimplemented(observer, "ModifyPushConfig (push subscriptions)");
  }

  @Override
  public void getSnapshot(GetSnapshotRequest request, StreamObserver<Snapshot> observer) {
    Calls.unary(observer, () -> engine.getSnapshot(request.getSnapshot()));
  }

  @Override
  public void listSnapshots(
      ListSnapshotsRequest request, StreamObserver<ListSnapshotsResponse> observer) {
    Calls.unary(observer, () -> engine.listSnapshots(request));
  }

  @Override
  public void createSnapshot(CreateSnapshotRequest request, StreamObserver<Snapshot> observer) {
    Calls.unary(observer, () -> engine.createSnapshot(request));
  }

  @Override
  public void updateSnapshot(UpdateSnapshotRequest request, StreamObserver<Snapshot> observer) {
    Calls.unary(observer, () -> engine.updateSnapshot(request));
  }

  @Override
  public void deleteSnapshot(DeleteSnapshotRequest request, StreamObserver<Empty> observer) {
    Calls.unary(
        observer,
        () -> {
          engine.deleteSnapshot(request.getSnapshot());
          return Empty.getDefaultInstance();
        });
  }

  @Override
  public void seek(SeekRequest request, StreamObserver<SeekResponse> observer) {
    Calls.unary(observer, () -> engine.seek(request));
  }
}

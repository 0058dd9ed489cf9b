package io.eventflow.broker;

import com.google.protobuf.Empty;
import com.google.pubsub.v1.DeleteTopicRequest;
import com.google.pubsub.v1.DetachSubscriptionRequest;
import com.google.pubsub.v1.DetachSubscriptionResponse;
import com.google.pubsub.v1.GetTopicRequest;
import com.google.pubsub.v1.ListTopicSnapshotsRequest;
import com.google.pubsub.v1.ListTopicSnapshotsResponse;
import com.google.pubsub.v1.ListTopicSubscriptionsRequest;
import com.google.pubsub.v1.ListTopicSubscriptionsResponse;
import com.google.pubsub.v1.ListTopicsRequest;
import com.google.pubsub.v1.ListTopicsResponse;
import com.google.pubsub.v1.PublishResponse;
import com.google.pubsub.v1.PublisherGrpc;
import com.google.pubsub.v1.Topic;
import com.google.pubsub.v1.UpdateTopicRequest;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;

/**
 * The gRPC {@code google.pubsub.v1.Publisher} service over a {@link BrokerEngine}; served through
 * {@link #definition}.
 */
final class PublisherService extends PublisherGrpc.PublisherImplBase {
  private final BrokerEngine engine;

  PublisherService(BrokerEngine engine) {
    this.engine = engine;
  }

  /**
   * The service as the broker serves it: the generated methods, but Publish reads its request as
   * {@link WirePublish}, so the log keeps each message's bytes as they came.
   */
  static ServerServiceDefinition definition(BrokerEngine engine) {
    ServerServiceDefinition generated = new PublisherService(engine).bindService();
    String publish = WirePublish.METHOD.getFullMethodName();
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(PublisherGrpc.SERVICE_NAME)
            .setSchemaDescriptor(PublisherGrpc.getServiceDescriptor().getSchemaDescriptor())
            .addMethod(WirePublish.METHOD);
    for (ServerMethodDefinition<?, ?> method : generated.getMethods()) {
      if (!method.getMethodDescriptor().getFullMethodName().equals(publish)) {
        descriptor.addMethod(method.getMethodDescriptor());
      }
    }
    ServerServiceDefinition.Builder definition =
        ServerServiceDefinition.builder(descriptor.build())
            .addMethod(
                WirePublish.METHOD,
                ServerCalls.asyncUnaryCall(
                    (WirePublish request, StreamObserver<PublishResponse> observer) ->
                        Calls.async(observer, () -> engine.publish(request))));
    for (ServerMethodDefinition<?, ?> method : generated.getMethods()) {
      if (!method.getMethodDescriptor().getFullMethodName().equals(publish)) {
        definition.addMethod(method);
      }
    }
    return definition.build();
  }

  @Override
  public void createTopic(Topic request, StreamObserver<Topic> observer) {
    Calls.unary(observer, () -> engine.createTopic(request));
  }

  @Override
  public void updateTopic(UpdateTopicRequest request, StreamObserver<Topic> observer) {
    Calls.unimplemented(observer, "UpdateTopic");
  }

  @Override
  public void getTopic(GetTopicRequest request, StreamObserver<Topic> observer) {
    Calls.unary(observer, () -> engine.getTopic(request.getTopic()));
  }

  @Override
  public void listTopics(ListTopicsRequest request, StreamObserver<ListTopicsResponse> observer) {
    Calls.unary(observer, () -> engine.listTopics(request));
  }

  @Override
  public void listTopicSubscriptions(
      ListTopicSubscriptionsRequest request,
      StreamObserver<ListTopicSubscriptionsResponse> observer) {
    Calls.unary(observer, () -> engine.listTopicSubscriptions(request));
  }

  @Override
  public void listTopicSnapshots(
      ListTopicSnapshotsRequest request, StreamObserver<ListTopicSnapshotsResponse> observer) {
    Calls.unary(observer, () -> engine.listTopicSnapshots(request));
  }

  @Override
  public void deleteTopic(DeleteTopicRequest request, StreamObserver<Empty> observer) {
    Calls.unary(
        observer,
        () -> {
          engine.deleteTopic(request.getTopic());
          return Empty.getDefaultInstance();
        });
  }

  @Override
  public void detachSubscription(
      DetachSubscriptionRequest request, StreamObserver<DetachSubscriptionResponse> observer) {
    Calls.unimplemented(observer, "DetachSubscription");
  }
}

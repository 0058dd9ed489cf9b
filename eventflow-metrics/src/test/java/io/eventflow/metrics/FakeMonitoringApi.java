package io.eventflow.metrics;

import com.google.api.MetricDescriptor;
import com.google.monitoring.v3.CreateMetricDescriptorRequest;
import com.google.monitoring.v3.CreateTimeSeriesRequest;
import com.google.monitoring.v3.ListMetricDescriptorsRequest;
import com.google.monitoring.v3.ListMetricDescriptorsResponse;
import com.google.monitoring.v3.TimeSeries;
import com.google.protobuf.Empty;
import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The three calls of Cloud Monitoring's MetricService that Micrometer's Stackdriver registry makes
 * (list descriptors, create a descriptor, create time series), served on a free loopback port and
 * recorded, so a test sees exactly what a service would publish. Point {@link
 * CloudMonitoring#ENDPOINT_ENV} (or {@link CloudMonitoring#endpoint()}) at {@link #endpoint()}.
 */
public final class FakeMonitoringApi implements AutoCloseable {
  private final List<MetricDescriptor> descriptors = new ArrayList<>();
  private final List<CreateTimeSeriesRequest> requests = new ArrayList<>();
  private final Server server;

  private FakeMonitoringApi() throws IOException {
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .addService(service())
            .build()
            .start();
  }

  /** Starts the fake on a free loopback port. */
  public static FakeMonitoringApi start() throws IOException {
    return new FakeMonitoringApi();
  }

  /** Returns {@code 127.0.0.1:PORT}, the value for {@link CloudMonitoring#ENDPOINT_ENV}. */
  public String endpoint() {
    return InetAddress.getLoopbackAddress().getHostAddress() + ":" + server.getPort();
  }

  /** Returns every time series written so far, in order. */
  public synchronized List<TimeSeries> timeSeries() {
    List<TimeSeries> all = new ArrayList<>();
    requests.forEach(r -> all.addAll(r.getTimeSeriesList()));
    return all;
  }

  /** Returns every CreateTimeSeries request so far. */
  public synchronized List<CreateTimeSeriesRequest> requests() {
    return List.copyOf(requests);
  }

  /** Returns every metric descriptor created so far. */
  public synchronized List<MetricDescriptor> descriptors() {
    return List.copyOf(descriptors);
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(5, TimeUnit.SECONDS);
  }

  /**
   * The service, declared from the Monitoring API's request and response messages: its generated
   * gRPC stubs ({@code grpc-google-cloud-monitoring-v3}) are not served by the registry this build
   * uses, and the three unary methods need nothing else.
   */
  private ServerServiceDefinition service() {
    return ServerServiceDefinition.builder(SERVICE)
        .addMethod(
            method(
                "ListMetricDescriptors",
                ListMetricDescriptorsRequest.getDefaultInstance(),
                ListMetricDescriptorsResponse.getDefaultInstance()),
            ServerCalls.asyncUnaryCall(
                (request, response) -> {
                  synchronized (this) {
                    response.onNext(
                        ListMetricDescriptorsResponse.newBuilder()
                            .addAllMetricDescriptors(descriptors)
                            .build());
                  }
                  response.onCompleted();
                }))
        .addMethod(
            method(
                "CreateMetricDescriptor",
                CreateMetricDescriptorRequest.getDefaultInstance(),
                MetricDescriptor.getDefaultInstance()),
            ServerCalls.asyncUnaryCall(
                (request, response) -> {
                  synchronized (this) {
                    descriptors.add(request.getMetricDescriptor());
                  }
                  response.onNext(request.getMetricDescriptor());
                  response.onCompleted();
                }))
        .addMethod(
            method(
                "CreateTimeSeries",
                CreateTimeSeriesRequest.getDefaultInstance(),
                Empty.getDefaultInstance()),
            ServerCalls.asyncUnaryCall(
                (request, response) -> {
                  synchronized (this) {
                    requests.add(request);
                  }
                  response.onNext(Empty.getDefaultInstance());
                  response.onCompleted();
                }))
        .build();
  }

  private static final String SERVICE = "google.monitoring.v3.MetricService";

  private static <Q extends Message, R extends Message> MethodDescriptor<Q, R> method(
      String name, Q request, R response) {
    return MethodDescriptor.<Q, R>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(ProtoUtils.marshaller(request))
        .setResponseMarshaller(ProtoUtils.marshaller(response))
        .build();
  }
}

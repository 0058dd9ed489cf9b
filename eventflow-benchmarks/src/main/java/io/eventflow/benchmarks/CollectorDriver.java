package io.eventflow.benchmarks;

import com.google.protobuf.StringValue;
import com.google.protobuf.util.Durations;
import com.google.pubsub.v1.TopicName;
import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.HttpMethod;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.common.RequestHeaders;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.grpc.GrpcService;
import io.eventflow.broker.Broker;
import io.eventflow.broker.BrokerConfig;
import io.eventflow.collector.LocalCollector;
import io.eventflow.collector.Processor;
import io.eventflow.collector.pb.CallRequest;
import io.eventflow.collector.pb.CollectorGrpc;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.Event;
import io.eventflow.publisher.PubSubAdmin;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * Load driver for the collector: eventflow-broker (durable, under a temporary directory) as Pub/Sub
 * and the local stack's collector in this JVM, driven over HTTP/1.1 keep-alive connections by
 * Armeria's client with a bounded window of requests in flight. Every 200 counted waited for
 * Pub/Sub's confirmation. It reports single-event requests/s, events/s in batches of 100, the
 * accept latency p50/p99 of each (client-side, so including the confirm), and the p50 of a
 * request/response {@code Call} through a connected processor against a plain gRPC unary echo of
 * the same event.
 *
 * <p>{@code java -cp eventflow-benchmarks.jar io.eventflow.benchmarks.CollectorDriver [requests]
 * [window] [calls]}; defaults: 100,000 single-event requests (and a tenth as many batches), 64 in
 * flight, 5,000 calls. To tell the load's CPU from the collector's and the broker's, run them in
 * two processes: {@code CollectorDriver serve} (prints the address, then its CPU for each line on
 * stdin) and {@code CollectorDriver drive HOST:PORT [requests] [window] [calls]}. {@code
 * CollectorDriver serve --broker HOST:PORT} serves only the collector, against a broker running in
 * a process of its own, so the collector's CPU can be told from the broker's too: that is how
 * {@code collector-wrk.sh} (next to this module's pom) measures it under wrk.
 */
public final class CollectorDriver {
  private CollectorDriver() {}

  /** Runs the driver; see the class comment for the arguments. */
  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("serve")) {
      serve(args.length > 2 && args[1].equals("--broker") ? args[2] : null);
      return;
    }
    if (args.length > 0 && args[0].equals("drive")) {
      load(args[1], Arrays.copyOfRange(args, 2, args.length));
      return;
    }
    try (Served served = Served.start()) {
      load("127.0.0.1:" + served.collector.port(), args);
    }
  }

  /**
   * The collector under test on a free loopback port, and the broker it publishes to: its own
   * (durable, temporary directory), or none when the broker runs elsewhere.
   */
  private record Served(Broker pubsub, LocalCollector collector) implements AutoCloseable {
    static Served start() throws Exception {
      Path dir = Files.createTempDirectory("collector-driver");
      Broker pubsub =
          Broker.start(BrokerConfig.builder().port(0).dataDir(dir.resolve("broker")).build());
      return new Served(pubsub, collectorFor(pubsub.hostAndPort()));
    }

    /** Only the collector, publishing to the broker at {@code brokerHostAndPort}. */
    static Served against(String brokerHostAndPort) throws Exception {
      return new Served(null, collectorFor(brokerHostAndPort));
    }

    private static LocalCollector collectorFor(String brokerHostAndPort) throws Exception {
      try (PubSubAdmin admin = PubSubAdmin.connect(brokerHostAndPort)) {
        admin.createTopicAndSubscription(TopicName.of("bench", "events"), "events-hold");
      }
      return LocalCollector.start("127.0.0.1", 0, brokerHostAndPort, "bench", "events");
    }

    @Override
    public void close() throws IOException {
      collector.close();
      if (pubsub != null) {
        pubsub.close();
      }
    }
  }

  /**
   * {@code serve}: the broker and the collector in this process, for a {@code drive} in another
   * one, so the two processes' CPU can be told apart. Prints the collector's address, then the
   * process's CPU seconds for every line read from stdin; ends at end of input.
   *
   * @param broker a running broker's {@code HOST:PORT} to publish to, or null for one in this
   *     process
   */
  private static void serve(String broker) throws Exception {
    try (Served served = broker == null ? Served.start() : Served.against(broker)) {
      System.out.println("collector 127.0.0.1:" + served.collector.port());
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      while (in.readLine() != null) {
        System.out.printf(Locale.ROOT, "cpu %.2f s%n", cpuNanos() / 1e9);
      }
    }
  }

  /** Drives the collector at {@code target}: requests, batches, then calls. */
  private static void load(String target, String[] args) throws Exception {
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
    int window = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    int calls = args.length > 2 ? Integer.parseInt(args[2]) : 5_000;
    WebClient http = WebClient.builder("h1c://" + target).build();
    String one = "{\"type\":\"view\",\"attributes\":{\"page\":{\"stringValue\":\"/home\"}}}";
    StringBuilder hundred = new StringBuilder("[");
    for (int i = 0; i < 100; i++) {
      hundred.append(i == 0 ? "" : ",").append(one);
    }
    String batch = hundred.append(']').toString();
    // Warm-up: JIT, connections, the publisher's channel.
    drive(http, "/v1/events", i -> one, requests / 10, window);
    report("single events", drive(http, "/v1/events", i -> one, requests, window), 1);
    report("batches of 100", drive(http, "/v1/batch", i -> batch, requests / 10, window), 100);
    compareCalls(target, calls);
    double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    System.out.printf(Locale.ROOT, "load average (1 min) at the end: %.2f%n", load);
  }

  /** This process's CPU time (user + system) so far. */
  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /**
   * Latencies (ns) of {@code count} POSTs with at most {@code window} in flight, and the wall time.
   */
  private record Run(long[] nanos, long wallNanos, long cpuNanos, int failures) {}

  private static Run drive(
      WebClient http, String path, IntFunction<String> body, int count, int window)
      throws InterruptedException {
    Semaphore slots = new Semaphore(window);
    CountDownLatch done = new CountDownLatch(count);
    long[] nanos = new long[count];
    AtomicInteger failures = new AtomicInteger();
    long cpu = cpuNanos();
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      slots.acquire();
      int index = i;
      long sent = System.nanoTime();
      http.execute(
              RequestHeaders.builder(HttpMethod.POST, path)
                  .contentType(MediaType.JSON_UTF_8)
                  .build(),
              body.apply(i))
          .aggregate()
          .whenComplete(
              (response, error) -> {
                nanos[index] = System.nanoTime() - sent;
                if (error != null || response.status().code() != 200) {
                  failures.incrementAndGet();
                }
                slots.release();
                done.countDown();
              });
    }
    done.await();
    return new Run(nanos, System.nanoTime() - start, cpuNanos() - cpu, failures.get());
  }

  private static void report(String what, Run run, int eventsPerRequest) {
    long[] sorted = run.nanos().clone();
    Arrays.sort(sorted);
    double seconds = run.wallNanos() / 1e9;
    System.out.printf(
        Locale.ROOT,
        "%s: %d requests in %.1f s = %.0f requests/s, %.0f events/s; accept latency p50 %.1f ms,"
            + " p99 %.1f ms; %d not 200; this process's CPU %.1f µs per request%n",
        what,
        sorted.length,
        seconds,
        sorted.length / seconds,
        sorted.length * (double) eventsPerRequest / seconds,
        sorted[sorted.length / 2] / 1e6,
        sorted[(int) (sorted.length * 0.99)] / 1e6,
        run.failures(),
        run.cpuNanos() / 1e3 / sorted.length);
  }

  /** A plain gRPC unary echo of an {@link Event}: the baseline a {@code Call} is compared with. */
  private static final MethodDescriptor<Event, Event> ECHO =
      MethodDescriptor.<Event, Event>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("eventflow.bench.Echo/Echo")
          .setRequestMarshaller(ProtoUtils.marshaller(Event.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(Event.getDefaultInstance()))
          .build();

  /**
   * Sequential calls, interleaved: an event answered by a processor's echo through {@code Call}
   * (not published) against the same event echoed by a plain gRPC unary method, served by an
   * Armeria gRPC server of its own (the collector's server library) in this JVM.
   */
  private static void compareCalls(String target, int calls) throws Exception {
    ServerServiceDefinition echoService =
        ServerServiceDefinition.builder("eventflow.bench.Echo")
            .addMethod(
                ECHO,
                ServerCalls.asyncUnaryCall(
                    (Event request, StreamObserver<Event> response) -> {
                      response.onNext(request);
                      response.onCompleted();
                    }))
            .build();
    Server echoServer =
        Server.builder()
            .http(new InetSocketAddress("127.0.0.1", 0))
            .service(GrpcService.builder().addService(echoService).build())
            .build();
    echoServer.start().join();
    ManagedChannel channel = ManagedChannelBuilder.forTarget(target).usePlaintext().build();
    ManagedChannel echoChannel =
        ManagedChannelBuilder.forTarget("127.0.0.1:" + echoServer.activeLocalPort())
            .usePlaintext()
            .build();
    try (Processor echo = Processor.builder("echo").onAny(event -> event).connect(target)) {
      echo.awaitRegistered(Duration.ofSeconds(30));
      var collector = CollectorGrpc.newBlockingStub(channel);
      Event event =
          Event.newBuilder()
              .setType("quote")
              .setCustomer(StringValue.of("acme"))
              .putAttributes("sku", AttributeValues.of("sku-1234"))
              .putAttributes("quantity", AttributeValues.of(3L))
              .build();
      CallRequest call =
          CallRequest.newBuilder()
              .setEvent(event)
              .setTimeout(Durations.fromSeconds(5))
              .setSkipPublish(true)
              .build();
      long[] callNanos = new long[calls];
      long[] unaryNanos = new long[calls];
      for (int round = 0; round < 2; round++) { // the first round warms up
        for (int i = 0; i < calls; i++) {
          long t0 = System.nanoTime();
          collector.call(call);
          long t1 = System.nanoTime();
          ClientCalls.blockingUnaryCall(echoChannel, ECHO, CallOptions.DEFAULT, event);
          long t2 = System.nanoTime();
          callNanos[i] = t1 - t0;
          unaryNanos[i] = t2 - t1;
        }
      }
      Arrays.sort(callNanos);
      Arrays.sort(unaryNanos);
      double callP50 = callNanos[calls / 2] / 1e6;
      double unaryP50 = unaryNanos[calls / 2] / 1e6;
      System.out.printf(
          Locale.ROOT,
          "Call through a processor p50 %.3f ms (p99 %.3f); plain gRPC unary echo p50 %.3f ms (p99"
              + " %.3f); ratio %.2f%n",
          callP50,
          callNanos[(int) (calls * 0.99)] / 1e6,
          unaryP50,
          unaryNanos[(int) (calls * 0.99)] / 1e6,
          callP50 / unaryP50);
    } finally {
      channel.shutdownNow();
      echoChannel.shutdownNow();
      echoServer.stop().join();
    }
  }
}

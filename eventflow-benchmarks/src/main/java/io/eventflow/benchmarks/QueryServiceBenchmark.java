package io.eventflow.benchmarks;

import com.google.common.util.concurrent.ListenableFuture;
import io.eventflow.testing.RedisServerProcess;
import io.eventflow.timeseries.api.pb.GetIntervalValuesRequest;
import io.eventflow.timeseries.api.pb.GetIntervalValuesResponse;
import io.eventflow.timeseries.api.pb.Granularity;
import io.eventflow.timeseries.api.pb.TimeSeriesServiceGrpc;
import io.eventflow.timeseries.srv.IntervalQuery;
import io.eventflow.timeseries.srv.IntervalValuesReader;
import io.eventflow.timeseries.srv.InvalidQueryException;
import io.eventflow.timeseries.srv.Metrics;
import io.eventflow.timeseries.srv.QueryCache;
import io.eventflow.timeseries.srv.RedisCache;
import io.eventflow.timeseries.srv.ServerConfig;
import io.eventflow.timeseries.srv.TimeSeriesServer;
import io.eventflow.timeseries.store.StoreException;
import io.eventflow.timeseries.store.jdbc.JdbcIntervalStore;
import io.grpc.CallOptions;
import io.grpc.Deadline;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The query service's cache-hit path over a real loopback gRPC connection (Netty, not in-process),
 * side by side with its anchor in the same run: a trivial echo method on the same server that
 * answers the same request with the same response message, so both pay the same transport and
 * marshalling and differ only in the service's own work (request checks and normalization, the
 * cache key, the in-process cache lookup, Micrometer's gRPC metrics interceptor). Targets:
 * cache-hit p50 at most 1.5x the echo's, and at least 20k queries/s per core.
 *
 * <p>The query is a month (March 2024) of DAY buckets in America/New_York over a SUM series whose
 * minute and quarter-hour rows sit in an embedded H2 file database, as in the local stack. The
 * latency methods ({@code echo}, {@code cacheHit}, {@code uncachedQuery}) run on one client thread
 * in SampleTime mode, which reports p50/p99. The {@code sideBySide} group calls the echo and the
 * cache-hit path at the same time from two threads, for a ratio that load drifting between
 * benchmarks cannot skew. The throughput methods run {@value #CLIENT_THREADS} client threads with
 * {@value #CALLS_IN_FLIGHT} asynchronous calls in flight each; client and server share the
 * machine's cores, so queries/s divided by the cores is a lower bound on the server's per-core
 * rate.
 *
 * <p>The {@code level*} methods measure the three levels a query can be answered from, without
 * gRPC: an in-process (Caffeine) hit, a Redis hit (a real {@code redis-server} on a loopback port,
 * started for the run; the method fails with "skipped" where the binary is not on the PATH), and a
 * store read (H2 read and aggregation, no cache).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class QueryServiceBenchmark {
  /**
   * Client threads for the throughput methods. Each keeps {@value #CALLS_IN_FLIGHT} asynchronous
   * calls in flight, so 2 threads load the server with 64 concurrent calls while spending little
   * CPU on waking up (a blocking thread per call would spend more of the shared cores on the client
   * than on the server).
   */
  static final int CLIENT_THREADS = 2;

  /** Concurrent calls per client thread in the throughput methods. */
  static final int CALLS_IN_FLIGHT = 32;

  /** The benchmark's "now": every row is older than the cache's minimum age (1 h), so cacheable. */
  private static final Clock CLOCK =
      Clock.fixed(SampleIntervals.FIRST_DAY.plusYears(1).toInstant(), ZoneOffset.UTC);

  /** The level methods' deadline: a day, never reached; the server's own is its query timeout. */
  private static final Deadline NO_DEADLINE = Deadline.after(1, TimeUnit.DAYS);

  /** The echo anchor: unary, same request and response messages as GetIntervalValues. */
  static final MethodDescriptor<GetIntervalValuesRequest, GetIntervalValuesResponse> ECHO =
      MethodDescriptor.<GetIntervalValuesRequest, GetIntervalValuesResponse>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName("eventflow.bench.Echo", "Get"))
          .setRequestMarshaller(
              ProtoUtils.marshaller(GetIntervalValuesRequest.getDefaultInstance()))
          .setResponseMarshaller(
              ProtoUtils.marshaller(GetIntervalValuesResponse.getDefaultInstance()))
          .build();

  /** The query every method asks: a month of days in New York, the series' own function. */
  static GetIntervalValuesRequest monthOfDays(boolean noCache) {
    return GetIntervalValuesRequest.newBuilder()
        .setName(SampleIntervals.SERIES)
        .setStart(timestamp(SampleIntervals.FIRST_DAY.toEpochSecond()))
        .setEnd(timestamp(SampleIntervals.FIRST_DAY.plusMonths(1).toEpochSecond()))
        .setTimeZone(SampleIntervals.ZONE.getId())
        .setGranularity(Granularity.GRANULARITY_DAY)
        .setNoCache(noCache)
        .build();
  }

  private static com.google.protobuf.Timestamp timestamp(long seconds) {
    return com.google.protobuf.Timestamp.newBuilder().setSeconds(seconds).build();
  }

  private static final Pattern L1_HITS =
      Pattern.compile("cache_lookups_total\\{level=\"l1\",result=\"hit\"} (\\d+)");
  private static final Pattern L2_HITS =
      Pattern.compile("cache_lookups_total\\{level=\"l2\",result=\"hit\"} (\\d+)");

  /** Returns a counter's value in a Prometheus scrape of the server's metrics, 0 if absent. */
  static long counter(Pattern counter, String scrape) {
    Matcher m = counter.matcher(scrape);
    return m.find() ? Long.parseLong(m.group(1)) : 0;
  }

  /** The series' rows in an H2 file database in a temporary directory, deleted afterwards. */
  @State(Scope.Benchmark)
  public static class Store {
    /**
     * Days of rows written from 2024-03-01 (New York): 31 fill the queried month (44,580 minute and
     * 2,972 quarter-hour rows); the smoke test writes fewer to stay fast.
     */
    @Param("31")
    public int days;

    Path dir;
    String url;

    /** Writes the rows. */
    @Setup(Level.Trial)
    public void write() throws Exception {
      dir = java.nio.file.Files.createTempDirectory("eventflow-bench-h2");
      url = "jdbc:h2:file:" + dir.resolve("intervals");
      SampleIntervals.write(url, days);
    }

    /** Opens a reader of the database. */
    JdbcIntervalStore open() throws StoreException {
      return JdbcIntervalStore.open(url, CLOCK);
    }

    /** Deletes the database files. */
    @TearDown(Level.Trial)
    public void delete() throws Exception {
      SampleIntervals.deleteRecursively(dir);
    }
  }

  /** The real server on a loopback port with the echo method beside it, and one client channel. */
  @State(Scope.Benchmark)
  public static class Service {
    TimeSeriesServer server;
    ManagedChannel channel;
    TimeSeriesServiceGrpc.TimeSeriesServiceBlockingStub stub;
    TimeSeriesServiceGrpc.TimeSeriesServiceFutureStub futureStub;
    GetIntervalValuesRequest cached;
    GetIntervalValuesRequest uncached;
    private volatile GetIntervalValuesResponse echoAnswer;

    /** Starts the server, connects, and fills the cache with the query's answer. */
    @Setup(Level.Trial)
    public void start(Store store) throws Exception {
      ServerServiceDefinition echo =
          ServerServiceDefinition.builder("eventflow.bench.Echo")
              .addMethod(
                  ECHO,
                  ServerCalls.asyncUnaryCall(
                      (request, responses) -> {
                        responses.onNext(echoAnswer);
                        responses.onCompleted();
                      }))
              .build();
      // The production transport and defaults (TimeSeriesServer.main), bound to loopback only;
      // metrics port -1: the Prometheus endpoint is not on the query path.
      server =
          new TimeSeriesServer(
                  NettyServerBuilder.forAddress(
                          new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                          InsecureServerCredentials.create())
                      .addService(echo),
                  store.open(),
                  ServerConfig.defaults(store.url, 0, -1),
                  CLOCK)
              .start();
      channel =
          Grpc.newChannelBuilderForAddress(
                  InetAddress.getLoopbackAddress().getHostAddress(),
                  server.port(),
                  InsecureChannelCredentials.create())
              .build();
      try {
        fillCacheAndCheck();
      } catch (Exception | Error e) {
        // JMH may skip TearDown after a failed Setup: release the port and threads here.
        stop();
        throw e;
      }
    }

    private void fillCacheAndCheck() throws Exception {
      stub = TimeSeriesServiceGrpc.newBlockingStub(channel);
      futureStub = TimeSeriesServiceGrpc.newFutureStub(channel);
      cached = monthOfDays(false);
      uncached = monthOfDays(true);
      GetIntervalValuesResponse answer = stub.getIntervalValues(cached);
      if (answer.getTimestampsCount() == 0) {
        throw new IllegalStateException("the query found no rows: the benchmark data is wrong");
      }
      // The echo returns the very answer the cache holds: same bytes on the wire.
      echoAnswer = answer;
      // Check that the method measures what it says: ten more calls, ten in-process hits.
      for (int i = 0; i < 10; i++) {
        stub.getIntervalValues(cached);
      }
      String scrape = server.metrics().scrape();
      if (counter(L1_HITS, scrape) != 10) {
        throw new IllegalStateException("repeated queries were not in-process hits:\n" + scrape);
      }
    }

    /** Closes the channel and stops the server (which closes its store). */
    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.stop();
    }
  }

  /** The in-process cache level and the store level, without gRPC. */
  @State(Scope.Benchmark)
  public static class Levels {
    JdbcIntervalStore jdbc;
    IntervalValuesReader reader;
    QueryCache inProcess;
    IntervalQuery query;

    /** Opens the store and fills an in-process-only cache with the query's answer. */
    @Setup(Level.Trial)
    public void open(Store store) throws Exception {
      ServerConfig config = ServerConfig.defaults(store.url, 0, -1);
      Metrics metrics = new Metrics();
      jdbc = store.open();
      reader =
          new IntervalValuesReader(
              jdbc, config.maxBuckets(), config.limits().maxRows(), CLOCK, metrics);
      inProcess =
          new QueryCache(
              config.cacheL1Bytes(), config.cacheTtl(), config.cacheMinAge(), null, CLOCK, metrics);
      query = IntervalQuery.parse(monthOfDays(false));
      inProcess.get(query, false, NO_DEADLINE, () -> reader.read(query));
    }

    /** Closes the store. */
    @TearDown(Level.Trial)
    public void close() {
      jdbc.close();
    }
  }

  /**
   * A cache whose in-process level never holds an answer (time to live 0), so every lookup goes to
   * a real Redis, where the answer is.
   */
  @State(Scope.Benchmark)
  public static class RedisLevel {
    RedisServerProcess redisServer;
    RedisCache redis;
    QueryCache cache;
    IntervalQuery query;
    QueryCache.Loader loader;

    /**
     * Starts redis-server, stores the answer in it, and checks that lookups are Redis hits.
     *
     * @throws IllegalStateException if redis-server is not on the PATH (the level is skipped)
     */
    @Setup(Level.Trial)
    public void start(Levels levels) throws Exception {
      redisServer = RedisServerProcess.startRequired();
      try {
        fillRedisAndCheck(levels);
      } catch (Exception | Error e) {
        // JMH may skip TearDown after a failed Setup: stop the child process here.
        stop();
        throw e;
      }
    }

    private void fillRedisAndCheck(Levels levels) throws Exception {
      ServerConfig config = ServerConfig.defaults("unused", 0, -1);
      Metrics metrics = new Metrics();
      redis =
          RedisCache.connect(
              RedisCache.Settings.of(config.withRedis(redisServer.url()))
                  // Loopback under a loaded machine: a generous timeout so no lookup degrades.
                  .withTimeout(Duration.ofSeconds(1)),
              CLOCK,
              metrics);
      cache =
          new QueryCache(
              config.cacheL1Bytes(), Duration.ZERO, config.cacheMinAge(), redis, CLOCK, metrics);
      query = levels.query;
      loader =
          () -> {
            throw new IllegalStateException("a Redis-level lookup fell through to the store");
          };
      cache.get(query, false, NO_DEADLINE, () -> levels.reader.read(query));
      for (int i = 0; i < 10; i++) {
        cache.get(query, false, NO_DEADLINE, loader);
      }
      String scrape = metrics.scrape();
      if (counter(L2_HITS, scrape) != 10 || counter(L1_HITS, scrape) != 0) {
        throw new IllegalStateException("lookups were not Redis hits:\n" + scrape);
      }
    }

    /** Closes the client and stops redis-server. */
    @TearDown(Level.Trial)
    public void stop() throws java.io.IOException, InterruptedException {
      if (redis != null) {
        redis.close();
      }
      if (redisServer != null) {
        redisServer.close();
      }
    }
  }

  /** The anchor: the echo method, same messages, same server and channel. */
  @Benchmark
  public GetIntervalValuesResponse echo(Service service) {
    return ClientCalls.blockingUnaryCall(
        service.channel, ECHO, CallOptions.DEFAULT, service.cached);
  }

  /** A GetIntervalValues call answered from the in-process cache. */
  @Benchmark
  public GetIntervalValuesResponse cacheHit(Service service) {
    return service.stub.getIntervalValues(service.cached);
  }

  /** A GetIntervalValues call with {@code no_cache}: read from H2 and aggregate, every time. */
  @Benchmark
  public GetIntervalValuesResponse uncachedQuery(Service service) {
    return service.stub.getIntervalValues(service.uncached);
  }

  /**
   * The echo half of a side-by-side pair: one client thread calls the echo while another calls the
   * cache-hit path at the same time, so both see the same machine load. The p50 ratio of the pair
   * is the figure to trust on a machine whose load drifts between benchmarks.
   */
  @Benchmark
  @Group("sideBySide")
  @GroupThreads(1)
  public GetIntervalValuesResponse sideBySideEcho(Service service) {
    return echo(service);
  }

  /** The cache-hit half of the side-by-side pair (see {@link #sideBySideEcho}). */
  @Benchmark
  @Group("sideBySide")
  @GroupThreads(1)
  public GetIntervalValuesResponse sideBySideCacheHit(Service service) {
    return cacheHit(service);
  }

  /** Echo calls per second, {@value #CALLS_IN_FLIGHT} in flight per client thread. */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @Threads(CLIENT_THREADS)
  @OperationsPerInvocation(CALLS_IN_FLIGHT)
  public void echoThroughput(Service service, Blackhole blackhole) throws Exception {
    List<ListenableFuture<GetIntervalValuesResponse>> calls = new ArrayList<>(CALLS_IN_FLIGHT);
    for (int i = 0; i < CALLS_IN_FLIGHT; i++) {
      calls.add(
          ClientCalls.futureUnaryCall(
              service.channel.newCall(ECHO, CallOptions.DEFAULT), service.cached));
    }
    awaitAll(calls, blackhole);
  }

  /** Cache-hit queries per second, {@value #CALLS_IN_FLIGHT} in flight per client thread. */
  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @Threads(CLIENT_THREADS)
  @OperationsPerInvocation(CALLS_IN_FLIGHT)
  public void cacheHitThroughput(Service service, Blackhole blackhole) throws Exception {
    List<ListenableFuture<GetIntervalValuesResponse>> calls = new ArrayList<>(CALLS_IN_FLIGHT);
    for (int i = 0; i < CALLS_IN_FLIGHT; i++) {
      calls.add(service.futureStub.getIntervalValues(service.cached));
    }
    awaitAll(calls, blackhole);
  }

  private static void awaitAll(
      List<ListenableFuture<GetIntervalValuesResponse>> calls, Blackhole blackhole)
      throws Exception {
    for (ListenableFuture<GetIntervalValuesResponse> call : calls) {
      blackhole.consume(call.get());
    }
  }

  /** An in-process (Caffeine) cache hit through {@link QueryCache}. */
  @Benchmark
  public GetIntervalValuesResponse levelInProcessHit(Levels levels)
      throws StoreException, InvalidQueryException {
    return levels.inProcess.get(
        levels.query, false, NO_DEADLINE, () -> levels.reader.read(levels.query));
  }

  /** A Redis hit through {@link QueryCache}: GET over loopback and parsing the answer. */
  @Benchmark
  public GetIntervalValuesResponse levelRedisHit(RedisLevel redis)
      throws StoreException, InvalidQueryException {
    return redis.cache.get(redis.query, false, NO_DEADLINE, redis.loader);
  }

  /** A store read: the H2 query for the rows, then aggregation into the answer. */
  @Benchmark
  public GetIntervalValuesResponse levelStoreRead(Levels levels)
      throws StoreException, InvalidQueryException {
    return levels.reader.read(levels.query);
  }
}

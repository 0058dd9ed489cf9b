package io.eventflow.timeseries.store.spanner;

import com.google.cloud.NoCredentials;
import com.google.cloud.spanner.DatabaseId;
import com.google.cloud.spanner.MockSpannerServiceImpl;
import com.google.cloud.spanner.SpannerOptions;
import com.google.protobuf.ListValue;
import com.google.protobuf.Value;
import com.google.spanner.v1.ResultSet;
import com.google.spanner.v1.ResultSetMetadata;
import com.google.spanner.v1.StructType;
import com.google.spanner.v1.Type;
import com.google.spanner.v1.TypeCode;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * google-cloud-spanner's in-process mock Spanner on a free loopback port, reached the way the
 * emulator is: plaintext, no credentials. It answers the statements a test puts in {@link #mock}
 * and records the requests; published in this module's test-jar for the rollups job's Spanner
 * writer tests.
 */
public final class MockSpannerServer implements AutoCloseable {
  /** The database the tests address; the mock accepts any. */
  public static final DatabaseId DATABASE =
      DatabaseId.of("test-project", "test-instance", "test-db");

  /** The mock service: canned results in, requests out. */
  public final MockSpannerServiceImpl mock = new MockSpannerServiceImpl();

  private final Server server;

  /** Starts the mock on a free loopback port, with aborts off. */
  public MockSpannerServer() throws IOException {
    mock.setAbortProbability(0.0);
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("localhost", 0))
            .addService(mock)
            .build()
            .start();
  }

  /** Returns the {@code host:port} to use as the Spanner emulator host. */
  public String hostAndPort() {
    return "localhost:" + server.getPort();
  }

  /** Returns client options that reach this server. */
  public SpannerOptions options() {
    return SpannerOptions.newBuilder()
        .setProjectId(DATABASE.getInstanceId().getProject())
        .setEmulatorHost(hostAndPort())
        .setCredentials(NoCredentials.getInstance())
        .build();
  }

  /** Stops the server, waiting up to 10 s. */
  @Override
  public void close() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(10, TimeUnit.SECONDS);
  }

  /** Builds a result set with the given column names and types and rows of proto values. */
  public static ResultSet resultSet(
      List<String> names, List<TypeCode> types, List<List<Value>> rows) {
    StructType.Builder struct = StructType.newBuilder();
    for (int i = 0; i < names.size(); i++) {
      struct.addFields(
          StructType.Field.newBuilder()
              .setName(names.get(i))
              .setType(Type.newBuilder().setCode(types.get(i))));
    }
    ResultSet.Builder rs =
        ResultSet.newBuilder().setMetadata(ResultSetMetadata.newBuilder().setRowType(struct));
    for (List<Value> row : rows) {
      rs.addRows(ListValue.newBuilder().addAllValues(row));
    }
    return rs.build();
  }

  /** Returns a STRING (or TIMESTAMP) column value. */
  public static Value string(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  /** Returns an INT64 column value (Spanner sends them as strings). */
  public static Value int64(long v) {
    return string(Long.toString(v));
  }

  /** Returns a FLOAT64 column value. */
  public static Value float64(double v) {
    return Value.newBuilder().setNumberValue(v).build();
  }
}

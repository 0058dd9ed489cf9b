package io.eventflow.benchmarks;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import com.google.pubsub.v1.PubsubMessage;
import io.eventflow.broker.StoredMessages;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The broker's work per published message before it reaches the log: the message with the broker's
 * id and publish time, encoded. {@code storedBytes} is {@link StoredMessages#bytes}; {@code
 * viaBuilder} is what it replaced (copy into a builder, set both fields, build, encode), on the
 * same message: an eventflow event as ingest republishes it (about 300 bytes of data and the six
 * attributes the publisher sets).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class StoredMessageBenchmark {
  private static final long MICROS = 1_764_000_000_123_456L;

  private final PubsubMessage message =
      PubsubMessage.newBuilder()
          .setData(ByteString.copyFrom(new byte[300]))
          .putAttributes("event.id", "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
          .putAttributes("event.type", "purchase")
          .putAttributes("event.source", "web")
          .putAttributes("event.customer", "acme")
          .putAttributes("event.timestamp", "2026-12-02T15:00:00.123Z")
          .putAttributes("content-type", "application/x-protobuf")
          .build();

  private final ByteString wire = message.toByteString();

  private long offset = 1_000_000;

  /** The broker's way now. */
  @Benchmark
  public byte[] storedBytes() {
    return StoredMessages.bytes(message, offset++, MICROS);
  }

  /**
   * The broker's way for a message read off the wire ({@code WirePublish}): its bytes as they came,
   * then the broker's id and time.
   */
  @Benchmark
  public byte[] storedFromWire() {
    return StoredMessages.bytes(message, wire, offset++, MICROS);
  }

  /** The way it replaced. */
  @Benchmark
  public byte[] viaBuilder() {
    return message.toBuilder()
        .setMessageId(Long.toString(offset++))
        .setPublishTime(
            Timestamp.newBuilder()
                .setSeconds(Math.floorDiv(MICROS, 1_000_000L))
                .setNanos((int) Math.floorMod(MICROS, 1_000_000L) * 1_000))
        .build()
        .toByteArray();
  }
}

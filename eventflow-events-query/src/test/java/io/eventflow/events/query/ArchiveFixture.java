package io.eventflow.events.query;

import com.google.api.services.bigquery.model.TableRow;
import com.google.protobuf.StringValue;
import com.google.protobuf.util.Timestamps;
import io.eventflow.common.pb.AttributeValue;
import io.eventflow.common.pb.Event;
import io.eventflow.ingest.ArchiveEvents;
import io.eventflow.ingest.TableRows;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.gcp.bigquery.TableRowJsonCoder;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.joda.time.Duration;

/**
 * Archives written by the ingest job's own archive writer ({@link ArchiveEvents#valid}, on the
 * DirectRunner), for tests and the benchmark to query: the files, folders and JSON lines are
 * exactly what a running stack leaves under its warehouse.
 */
public final class ArchiveFixture {
  private ArchiveFixture() {}

  /** Returns an event of {@code type} at {@code timestamp}, with a customer unless it is null. */
  public static Event event(
      String id,
      String type,
      Instant timestamp,
      String customer,
      Map<String, AttributeValue> attributes) {
    Event.Builder event =
        Event.newBuilder()
            .setId(id)
            .setType(type)
            .setSource("test")
            .setTimestamp(
                Timestamps.fromNanos(
                    timestamp.getEpochSecond() * 1_000_000_000L + timestamp.getNano()))
            .putAllAttributes(attributes);
    if (customer != null) {
      event.setCustomer(StringValue.of(customer));
    }
    return event.build();
  }

  /**
   * Writes {@code events} to the archive at {@code archive} through {@code ArchiveEvents.valid} on
   * the DirectRunner, with {@code shards} files per folder, and waits until they are written.
   */
  public static void write(Path archive, List<Event> events, int shards) {
    Pipeline pipeline =
        Pipeline.create(PipelineOptionsFactory.fromArgs("--runner=DirectRunner").create());
    List<TableRow> rows = events.stream().map(TableRows::eventRow).toList();
    pipeline
        .apply("Events", Create.of(rows).withCoder(TableRowJsonCoder.of()))
        .apply(
            "ArchiveEvents",
            ArchiveEvents.valid(
                archive.toString(),
                "test",
                Duration.standardMinutes(10),
                shards,
                Clock.systemUTC()));
    pipeline.run().waitUntilFinish();
  }
}

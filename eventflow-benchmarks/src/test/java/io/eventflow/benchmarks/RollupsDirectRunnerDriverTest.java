package io.eventflow.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.common.pb.Event;
import io.eventflow.timeseries.store.SeriesNames;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.gcp.pubsub.PubsubMessage;
import org.apache.beam.sdk.values.TimestampedValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the rollups load driver on a few hundred events (with a duplicate delivery) and checks what
 * it wrote, not how fast: every event is counted once in its type's and its customer's series, at
 * both resolutions.
 */
class RollupsDirectRunnerDriverTest {
  @TempDir Path dir;

  @Test
  void writesEveryEventOnceIntoTheEmbeddedStore() throws Exception {
    List<Event> events =
        SampleEvents.traffic(
            300, RollupsDirectRunnerDriver.START, RollupsDirectRunnerDriver.MINUTES, 7);
    List<TimestampedValue<PubsubMessage>> messages =
        new ArrayList<>(RollupsDirectRunnerDriver.messages(events));
    // A redelivery of the first event: the job's dedup must drop it.
    messages.add(messages.get(0));
    String url = "jdbc:h2:file:" + dir.resolve("intervals");

    RollupsDirectRunnerDriver.Result result =
        RollupsDirectRunnerDriver.run(messages, SampleEvents.DEMO_ROLLUPS, false, url);

    assertThat(result.state()).isEqualTo(PipelineResult.State.DONE);
    assertThat(result.events()).isEqualTo(301);
    Map<String, Long> expected = new TreeMap<>();
    for (Event event : events) {
      expected.merge(SeriesNames.count(event.getType(), null), 1L, Long::sum);
      if (event.hasCustomer()) {
        expected.merge(
            SeriesNames.count(event.getType(), event.getCustomer().getValue()), 1L, Long::sum);
      }
    }
    expected.merge("purchase.amount_cents.sum", count(events, "purchase"), Long::sum);
    RollupsDirectRunnerDriver.StoreTotals totals = RollupsDirectRunnerDriver.readBack(url);
    assertThat(totals.minuteCounts()).containsAllEntriesOf(expected);
    assertThat(totals.quarterHourCounts()).containsAllEntriesOf(expected);
    assertThat(totals.minuteCounts().keySet())
        .contains("page_view.load_time.max", "api_request.latency.max", "add_to_cart.quantity.sum");
    assertThat(totals.minuteRows()).isGreaterThanOrEqualTo(RollupsDirectRunnerDriver.MINUTES);
  }

  private static long count(List<Event> events, String type) {
    return events.stream().filter(e -> e.getType().equals(type)).count();
  }
}

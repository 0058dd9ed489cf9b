package io.eventflow.timeseries.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.timeseries.api.pb.AggregateFunction;
import io.eventflow.timeseries.api.pb.Fill;
import io.eventflow.timeseries.api.pb.GetIntervalValuesRequest;
import io.eventflow.timeseries.api.pb.GetIntervalValuesResponse;
import io.eventflow.timeseries.api.pb.Granularity;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class SeriesQueryTest {
  private static final Instant START = Instant.parse("2024-03-01T00:00:00Z");
  private static final Instant END = Instant.parse("2024-04-01T00:00:00Z");

  @Test
  void defaultsToDaysInUtcWithTheSeriesOwnFunction() {
    GetIntervalValuesRequest request = SeriesQuery.of("s", START, END).toRequest();

    assertThat(request.getName()).isEqualTo("s");
    assertThat(request.getStart().getSeconds()).isEqualTo(START.getEpochSecond());
    assertThat(request.getEnd().getSeconds()).isEqualTo(END.getEpochSecond());
    assertThat(request.getTimeZone()).isEqualTo("Z");
    assertThat(request.getGranularity()).isEqualTo(Granularity.GRANULARITY_DAY);
    assertThat(request.getAggregateFunction())
        .isEqualTo(AggregateFunction.AGGREGATE_FUNCTION_UNSPECIFIED);
    assertThat(request.getFill()).isEqualTo(Fill.FILL_NONE);
    assertThat(request.getNoCache()).isFalse();
  }

  @Test
  void stepReplacesGranularity() {
    GetIntervalValuesRequest request =
        SeriesQuery.of("s", START, END)
            .zone(ZoneId.of("Asia/Kathmandu"))
            .granularity(Granularity.GRANULARITY_HOUR)
            .step(Duration.ofMinutes(5))
            .aggregate(AggregateFunction.AGGREGATE_FUNCTION_AVG)
            .fill(Fill.FILL_ZERO)
            .noCache()
            .toRequest();

    assertThat(request.getBucketingCase()).isEqualTo(GetIntervalValuesRequest.BucketingCase.STEP);
    assertThat(request.getStep().getSeconds()).isEqualTo(300);
    assertThat(request.getTimeZone()).isEqualTo("Asia/Kathmandu");
    assertThat(request.getAggregateFunction()).isEqualTo(AggregateFunction.AGGREGATE_FUNCTION_AVG);
    assertThat(request.getFill()).isEqualTo(Fill.FILL_ZERO);
    assertThat(request.getNoCache()).isTrue();
  }

  @Test
  void responseMapsToInstantsAndValues() {
    GetIntervalValuesResponse response =
        GetIntervalValuesResponse.newBuilder()
            .addTimestamps(START.getEpochSecond())
            .addValues(3.5)
            .setReadTimestamp(SeriesQuery.timestamp(END))
            .setAggregateFunction(AggregateFunction.AGGREGATE_FUNCTION_MAX)
            .build();

    SeriesValues values = SeriesValues.fromResponse("s", response);

    assertThat(values.size()).isEqualTo(1);
    assertThat(values.start(0)).isEqualTo(START);
    assertThat(values.value(0)).isEqualTo(3.5);
    assertThat(values.readTimestamp()).isEqualTo(END);
    assertThat(values.function()).isEqualTo(AggregateFunction.AGGREGATE_FUNCTION_MAX);
  }

  @Test
  void responseWithUnevenArraysIsRejected() {
    GetIntervalValuesResponse response =
        GetIntervalValuesResponse.newBuilder().addTimestamps(1).build();
    assertThatThrownBy(() -> SeriesValues.fromResponse("s", response))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1 timestamps but 0 values");
  }
}

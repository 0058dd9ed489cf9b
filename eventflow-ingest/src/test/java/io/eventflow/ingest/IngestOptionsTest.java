package io.eventflow.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.common.ValidationLimits;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.jupiter.api.Test;

/** Option parsing and the up-front checks of option combinations. */
class IngestOptionsTest {
  private static final String SUBSCRIPTION =
      "--inputSubscription=projects/p/subscriptions/events-ingest";

  private static IngestPipeline.Options parse(String... args) {
    List<String> all = new ArrayList<>(List.of("--project=p"));
    all.addAll(List.of(args));
    return PipelineOptionsFactory.fromArgs(all.toArray(String[]::new))
        .as(IngestPipeline.Options.class);
  }

  @Test
  void defaultLimitsAreTheSharedDefaults() {
    IngestPipeline.Options options = parse(SUBSCRIPTION, "--archiveLocation=/tmp/a");
    assertThat(IngestPipeline.limits(options)).isEqualTo(ValidationLimits.DEFAULTS);
  }

  @Test
  void documentedDefaults() {
    IngestPipeline.Options options = parse(SUBSCRIPTION);
    assertThat(options.getBigQueryWriteMethod())
        .isEqualTo(BigQueryTable.WriteMethod.STORAGE_WRITE_API);
    assertThat(options.getEventsTable()).isEqualTo("events");
    assertThat(options.getInvalidMessagesTable()).isEqualTo("invalid_messages");
    assertThat(options.getDedupWindowMinutes()).isEqualTo(10);
    assertThat(options.getFileLoadsFrequencySeconds()).isEqualTo(300);
    assertThat(options.getBigQueryDataset()).isEmpty();
    assertThat(options.getArchiveLocation()).isEmpty();
    assertThat(options.getValidatedTopic()).isEmpty();
  }

  @Test
  void limitsFollowTheOptions() {
    IngestPipeline.Options options =
        parse(
            SUBSCRIPTION,
            "--maxPayloadBytes=1000",
            "--maxAttributes=3",
            "--maxKeyLength=4",
            "--maxStringLength=5",
            "--earliestTimestamp=2020-01-01T00:00:00Z",
            "--maxFutureSkewHours=2");
    ValidationLimits limits = IngestPipeline.limits(options);
    assertThat(limits.maxPayloadBytes()).isEqualTo(1000);
    assertThat(limits.maxAttributes()).isEqualTo(3);
    assertThat(limits.maxKeyLength()).isEqualTo(4);
    assertThat(limits.maxStringLength()).isEqualTo(5);
    assertThat(limits.earliestTimestamp()).hasToString("2020-01-01T00:00:00Z");
    assertThat(limits.maxFutureSkew()).hasHours(2);
  }

  @Test
  void archiveOnlyIsEnough() {
    IngestPipeline.validate(parse(SUBSCRIPTION, "--archiveLocation=/tmp/archive"));
  }

  @Test
  void bigQueryOnlyIsEnough() {
    IngestPipeline.validate(parse(SUBSCRIPTION, "--bigQueryDataset=eventflow"));
  }

  @Test
  void noSinkIsRejected() {
    assertThatThrownBy(() -> IngestPipeline.validate(parse(SUBSCRIPTION)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("set --bigQueryDataset, --archiveLocation, or both");
  }

  @Test
  void malformedSubscriptionAndTopicAreRejected() {
    assertThatThrownBy(
            () ->
                IngestPipeline.validate(
                    parse(
                        "--inputSubscription=events-ingest",
                        "--validatedTopic=events-validated",
                        "--archiveLocation=/tmp/a")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--inputSubscription must look like projects/PROJECT/subscriptions")
        .hasMessageContaining(
            "--validatedTopic must be empty or look like projects/PROJECT/topics");
  }

  @Test
  void missingSubscriptionIsRejected() {
    assertThatThrownBy(() -> IngestPipeline.validate(parse("--archiveLocation=/tmp/a")))
        .hasMessageContaining("--inputSubscription");
  }

  @Test
  void fileLoadsMoreOftenThanTheQuotaAllowsAreRejected() {
    assertThatThrownBy(
            () ->
                IngestPipeline.validate(
                    parse(
                        SUBSCRIPTION,
                        "--bigQueryDataset=eventflow",
                        "--bigQueryWriteMethod=FILE_LOADS",
                        "--fileLoadsFrequencySeconds=30")))
        .hasMessageContaining("--fileLoadsFrequencySeconds must be at least 60")
        .hasMessageContaining("1,500 load jobs per table per day");
  }

  @Test
  void everyProblemIsReportedAtOnce() {
    assertThatThrownBy(
            () ->
                IngestPipeline.validate(
                    parse(
                        SUBSCRIPTION,
                        "--bigQueryDataset=bad-dataset",
                        "--dedupWindowMinutes=0",
                        "--archiveShards=0",
                        "--maxPayloadBytes=-1",
                        "--earliestTimestamp=yesterday")))
        .hasMessageContaining("--bigQueryDataset may hold only letters, digits and underscores")
        .hasMessageContaining("--dedupWindowMinutes must be positive")
        .hasMessageContaining("--archiveShards must be positive")
        .hasMessageContaining("--maxPayloadBytes must be positive")
        .hasMessageContaining("--earliestTimestamp must be RFC 3339");
  }

  @Test
  void bigQueryWithoutAnyProjectIsRejected() {
    IngestPipeline.Options options =
        PipelineOptionsFactory.fromArgs(SUBSCRIPTION, "--bigQueryDataset=eventflow")
            .as(IngestPipeline.Options.class);
    options.setProject(null);
    assertThatThrownBy(() -> IngestPipeline.validate(options))
        .hasMessageContaining("--bigQueryDataset needs a project");
  }

  @Test
  void mainRejectsAJobWithNowhereToWriteInOneReadableMessage() {
    assertThatThrownBy(() -> IngestPipeline.main(new String[] {"--project=p", SUBSCRIPTION}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "invalid ingest options:\n"
                + "  nothing would store the events: set --bigQueryDataset, --archiveLocation, or both");
  }

  @Test
  void runRejectsBadOptionsBeforeBuildingAnything() {
    assertThatThrownBy(() -> IngestPipeline.run(parse(SUBSCRIPTION)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid ingest options:");
  }
}

package io.eventflow.cli;

import io.eventflow.common.ContentType;
import io.eventflow.publisher.EventPublisher;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The flags that say where and how events are published, shared by every command that publishes
 * ({@code @Mixin PublisherOptions publisher;}).
 */
public final class PublisherOptions {
  @Option(
      names = "--topic",
      required = true,
      paramLabel = "TOPIC",
      description = "Topic id, or projects/PROJECT/topics/TOPIC.")
  String topic;

  @Option(
      names = "--project",
      paramLabel = "PROJECT",
      description = "Project of a bare topic id. Default: $GOOGLE_CLOUD_PROJECT.")
  String project;

  @Option(
      names = "--emulator",
      paramLabel = "HOST:PORT",
      description =
          "Publish to a Pub/Sub emulator or the eventflow broker, over plaintext without"
              + " credentials. Default: $PUBSUB_EMULATOR_HOST; without either, real Pub/Sub with"
              + " Application Default Credentials.")
  String emulator;

  @Option(
      names = "--format",
      paramLabel = "binary|json",
      defaultValue = "binary",
      converter = FormatConverter.class,
      description = "Payload encoding: binary protobuf or proto3 JSON. Default: binary.")
  ContentType format;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "60s",
      converter = DurationConverter.class,
      description =
          "How long a failing publish is retried before its events count as failed, e.g. 30s,"
              + " 5m; at least 10s, the Pub/Sub client's minimum. Default: 60s.")
  Duration timeout;

  /** Returns a publisher builder for these flags, reading the environment from the context. */
  public EventPublisher.Builder newPublisher(CliContext context) {
    EventPublisher.Builder builder =
        EventPublisher.newBuilder(topic)
            .environment(context.environment())
            .clock(context.clock())
            .contentType(format)
            .publishTimeout(timeout);
    if (project != null) {
      builder.project(project);
    }
    if (emulator != null) {
      builder.emulatorHost(emulator);
    }
    return builder;
  }

  /** Reads {@code binary} (or {@code protobuf}) and {@code json}. */
  static final class FormatConverter implements ITypeConverter<ContentType> {
    @Override
    public ContentType convert(String value) {
      return switch (value) {
        case "binary", "protobuf" -> ContentType.PROTOBUF;
        case "json" -> ContentType.JSON;
        default ->
            throw new TypeConversionException("expected binary or json, got '" + value + "'");
      };
    }
  }
}

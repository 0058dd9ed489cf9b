package io.eventflow.cli;

import io.eventflow.publisher.EventPublisher;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * Where a long-running service publishes ({@code --project}, {@code --emulator}), each falling back
 * to its environment variable as {@code EventPublisher} does; shared by {@code eventflow mqtt} and
 * {@code eventflow collector} ({@code @Mixin PubSubTargetOptions pubsub;}).
 */
public final class PubSubTargetOptions {
  @Option(
      names = "--project",
      paramLabel = "PROJECT",
      description = "Project of bare topic ids. Default: $GOOGLE_CLOUD_PROJECT.")
  String project;

  @Option(
      names = "--emulator",
      paramLabel = "HOST:PORT",
      description =
          "Publish to a Pub/Sub emulator or the eventflow broker. Default: $PUBSUB_EMULATOR_HOST.")
  String emulator;

  /** The project from the flag, else {@code GOOGLE_CLOUD_PROJECT}; empty if neither is set. */
  public Optional<String> project(CliContext context) {
    return flagOrEnvironment(project, EventPublisher.PROJECT_ENV, context);
  }

  /** The emulator from the flag, else {@code PUBSUB_EMULATOR_HOST}; empty if neither is set. */
  public Optional<String> emulatorHost(CliContext context) {
    return flagOrEnvironment(emulator, EventPublisher.EMULATOR_HOST_ENV, context);
  }

  private static Optional<String> flagOrEnvironment(
      String flag, String variable, CliContext context) {
    String value = flag != null ? flag : context.environment().apply(variable);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }
}

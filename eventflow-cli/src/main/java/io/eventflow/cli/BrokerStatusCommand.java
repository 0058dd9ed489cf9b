package io.eventflow.cli;

import io.eventflow.publisher.EventPublisher;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code eventflow broker status}: each subscription's backlog, read from the broker's {@code
 * /metrics} (the gauges with Cloud Monitoring's meanings) and printed as a table or JSON.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    versionProvider = EventflowCommand.Version.class,
    description = {
      "Prints each subscription of a running eventflow-broker with its backlog: unacknowledged"
          + " messages and bytes, the age of the oldest, how many are leased to consumers, and how"
          + " many times the unacknowledged ones were delivered (0, 1, 2, 3, 4+).",
    })
final class BrokerStatusCommand implements Callable<Integer> {
  private final CliContext context;

  @Option(
      names = "--emulator",
      paramLabel = "HOST:PORT",
      description = "The broker's address. Default: $PUBSUB_EMULATOR_HOST.")
  String emulator;

  @Option(
      names = "--format",
      paramLabel = "FORMAT",
      defaultValue = "table",
      description = "table or json. Default: ${DEFAULT-VALUE}.")
  String format;

  @Spec CommandSpec spec;

  BrokerStatusCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (!format.equals("table") && !format.equals("json")) {
      throw new ParameterException(
          spec.commandLine(), "--format must be table or json (got " + format + ")");
    }
    String host =
        emulator != null ? emulator : context.environment().apply(EventPublisher.EMULATOR_HOST_ENV);
    if (host == null || host.isBlank()) {
      throw new ParameterException(
          spec.commandLine(),
          "Missing the broker's address: pass --emulator HOST:PORT or set "
              + EventPublisher.EMULATOR_HOST_ENV);
    }
    URI uri = URI.create("http://" + host.trim() + "/metrics");
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> response;
    try {
      response =
          http.send(
              HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new IOException("cannot reach the broker at " + uri + ": " + Errors.describe(e), e);
    }
    if (response.statusCode() != 200) {
      throw new IOException(uri + " answered HTTP " + response.statusCode());
    }
    Map<String, BrokerBacklog> backlogs = BrokerBacklog.parse(response.body());
    PrintWriter out = spec.commandLine().getOut();
    if (format.equals("json")) {
      out.println(BrokerBacklog.json(backlogs));
    } else if (backlogs.isEmpty()) {
      out.println("no subscriptions");
    } else {
      out.print(BrokerBacklog.table(backlogs));
    }
    out.flush();
    return 0;
  }
}

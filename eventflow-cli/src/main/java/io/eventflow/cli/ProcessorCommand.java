package io.eventflow.cli;

import io.eventflow.collector.Processor;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code eventflow processor}: example processors for a collector's calls. */
@Command(
    name = "processor",
    mixinStandardHelpOptions = true,
    versionProvider = EventflowCommand.Version.class,
    subcommands = ProcessorCommand.Echo.class,
    description = "Runs an example processor connected to a collector.")
final class ProcessorCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code eventflow processor echo}: answers every event with itself. */
  @Command(
      name = "echo",
      mixinStandardHelpOptions = true,
      description = {
        "Connects to a collector and answers every call with the event it was sent (its id,"
            + " timestamp and source filled in by the collector), until Ctrl-C.",
      })
  static final class Echo implements Callable<Integer> {
    /** The environment variable the API key is read from, so it stays out of `ps`. */
    static final String API_KEY_ENV = "EVENTFLOW_API_KEY";

    private final CliContext context;

    @Option(
        names = "--collector",
        required = true,
        paramLabel = "HOST:PORT",
        description = "The collector's gRPC address, e.g. localhost:8080.")
    String collector;

    @Option(
        names = "--types",
        split = ",",
        paramLabel = "TYPE",
        description = "Event types to answer (comma-separated). Default: every type.")
    List<String> types = new ArrayList<>();

    @Option(
        names = "--name",
        paramLabel = "NAME",
        defaultValue = "echo",
        description = "Name to register with. Default: echo.")
    String name;

    @Spec CommandSpec spec;

    Echo(CliContext context) {
      this.context = context;
    }

    /** The processor these flags describe, not yet connected. */
    Processor.Builder processor() {
      Processor.Builder builder = Processor.builder(name);
      Processor.Handler echo = event -> event;
      if (types.isEmpty()) {
        builder.onAny(echo);
      } else {
        types.forEach(type -> builder.on(type, echo));
      }
      String key = context.environment().apply(API_KEY_ENV);
      if (key != null && !key.isBlank()) {
        builder.apiKey(key.trim());
      }
      return builder;
    }

    @Override
    public Integer call() throws InterruptedException {
      PrintWriter out = spec.commandLine().getOut();
      Processor processor = processor().connect(collector);
      Runnable unregister = context.shutdownHooks().register(processor::close);
      try {
        if (processor.awaitRegistered(Duration.ofSeconds(30))) {
          out.println(
              "eventflow processor echo: connected to "
                  + collector
                  + " for "
                  + (types.isEmpty() ? "every type" : String.join(",", types)));
        } else {
          out.println("eventflow processor echo: waiting for " + collector + " (retrying)");
        }
        out.flush();
        processor.awaitTermination();
      } finally {
        unregister.run();
      }
      return 0;
    }
  }
}

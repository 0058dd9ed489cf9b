package io.eventflow.cli;

import static com.google.common.util.concurrent.MoreExecutors.directExecutor;

import com.google.api.core.ApiFuture;
import com.google.api.core.ApiFutureCallback;
import com.google.api.core.ApiFutures;
import com.google.common.util.concurrent.RateLimiter;
import io.eventflow.common.UuidV7Generator;
import io.eventflow.common.pb.Event;
import io.eventflow.publisher.EventPublisher;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code eventflow feed}: publishes a synthetic stream of realistic events at a steady rate, the
 * way a scheduled feed drives a pipeline in a demo or a soak test, and reports the rate achieved.
 */
@Command(
    name = "feed",
    mixinStandardHelpOptions = true,
    versionProvider = EventflowCommand.Version.class,
    description = {
      "Publishes synthetic web-shop events (page views, API requests, searches, carts, purchases,"
          + " signups) with skewed customers and numeric attributes at a steady rate, then reports"
          + " the rate achieved. Runs until --duration or --count is reached, or Ctrl-C.",
    })
final class FeedCommand implements Callable<Integer> {
  private final CliContext context;

  @Mixin PublisherOptions target;

  @Option(
      names = "--rate",
      required = true,
      paramLabel = "N/s",
      converter = RateConverter.class,
      description = "Events per second, e.g. 500 or 500/s.")
  double rate;

  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Stop after this long, e.g. 30s, 5m, 1h.")
  Duration duration;

  @Option(names = "--count", paramLabel = "N", description = "Stop after N events.")
  Long count;

  @Option(
      names = "--types",
      split = ",",
      paramLabel = "TYPE",
      converter = TypeConverter.class,
      description =
          "Event types to generate, comma-separated: page_view, api_request, search, add_to_cart,"
              + " purchase, signup. Default: all, in realistic proportions.")
  List<SyntheticEvents.Type> types;

  @Option(
      names = "--customers",
      paramLabel = "N",
      defaultValue = "1000",
      description = "Number of distinct customers. Default: 1000.")
  int customers;

  @Option(
      names = "--seed",
      paramLabel = "SEED",
      description = "Seed of the generator; the same seed gives the same events. Default: random.")
  Long seed;

  @Option(
      names = "--source",
      paramLabel = "SOURCE",
      defaultValue = "eventflow-feed",
      description = "Source of the events. Default: eventflow-feed.")
  String source;

  @Spec CommandSpec spec;

  private volatile boolean stopRequested;

  FeedCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws Exception {
    if (count != null && count < 1) {
      throw new ParameterException(spec.commandLine(), "--count must be at least 1");
    }
    if (customers < 1) {
      throw new ParameterException(spec.commandLine(), "--customers must be at least 1");
    }
    long actualSeed = seed != null ? seed : context.seeds().getAsLong();
    Random random = new Random(actualSeed);
    List<SyntheticEvents.Type> selected =
        types == null || types.isEmpty() ? Arrays.asList(SyntheticEvents.Type.values()) : types;
    SyntheticEvents events = new SyntheticEvents(random, selected, customers);
    Tally tally = new Tally();

    CountDownLatch finished = new CountDownLatch(1);
    // On Ctrl-C stop publishing, and hold the JVM's exit for up to 30 s so the summary is printed.
    Runnable unregister =
        context
            .shutdownHooks()
            .register(
                () -> {
                  stopRequested = true;
                  try {
                    finished.await(30, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                });
    try (EventPublisher publisher =
        target
            .newPublisher(context)
            .defaultSource(source)
            // Ids from the seeded generator too, so a fixed clock and seed give identical events.
            .idGenerator(new UuidV7Generator(context.clock(), random::nextLong))
            .build()) {
      RateLimiter limiter = RateLimiter.create(rate);
      long start = context.ticker().read();
      long deadline = duration == null ? Long.MAX_VALUE : start + duration.toNanos();
      long sent = 0;
      while (!stopRequested
          && (count == null || sent < count)
          && (duration == null || context.ticker().read() < deadline)) {
        limiter.acquire();
        Event.Builder event = events.next();
        send(publisher, event, tally);
        sent++;
      }
      publisher.flush();
      tally.awaitAnswers();
      long elapsed = context.ticker().read() - start;
      report(tally, publisher.topic().toString(), elapsed, actualSeed);
    } finally {
      finished.countDown();
      unregister.run();
    }
    return tally.failed > 0 ? EventflowCommand.EXIT_ERROR : 0;
  }

  private static void send(EventPublisher publisher, Event.Builder event, Tally tally) {
    SyntheticEvents.Type type = SyntheticEvents.Type.fromWireName(event.getType());
    ApiFuture<String> published = publisher.publish(event);
    tally.sent();
    ApiFutures.addCallback(
        published,
        new ApiFutureCallback<String>() {
          @Override
          public void onSuccess(String id) {
            tally.published(type);
          }

          @Override
          public void onFailure(Throwable t) {
            tally.failed(Errors.describe(t));
          }
        },
        directExecutor());
  }

  private void report(Tally tally, String topic, long elapsedNanos, long actualSeed) {
    PrintWriter out = spec.commandLine().getOut();
    double seconds = elapsedNanos / 1e9;
    double achieved = seconds > 0 ? tally.published / seconds : 0;
    out.println(
        String.format(
            Locale.ROOT,
            "published %s to %s in %.1f s: %.1f events/s (target %s/s)",
            PublishCommand.plural(tally.published, "event"),
            topic,
            seconds,
            achieved,
            formatRate(rate)));
    if (!tally.byType.isEmpty()) {
      out.println(
          "  "
              + tally.byType.entrySet().stream()
                  .map(e -> e.getKey().wireName() + " " + e.getValue())
                  .collect(Collectors.joining(", ")));
    }
    if (tally.failed > 0) {
      out.println(
          "failed to publish "
              + PublishCommand.plural(tally.failed, "event")
              + ": "
              + tally.firstFailure);
    }
    out.println("seed " + actualSeed + " (--seed " + actualSeed + " repeats this feed)");
    out.flush();
  }

  private static String formatRate(double rate) {
    return rate == Math.rint(rate)
        ? Long.toString((long) rate)
        : String.format(Locale.ROOT, "%s", rate);
  }

  /** Reads an event type by its published name. */
  static final class TypeConverter implements ITypeConverter<SyntheticEvents.Type> {
    @Override
    public SyntheticEvents.Type convert(String value) {
      try {
        return SyntheticEvents.Type.fromWireName(value.trim());
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(
            e.getMessage()
                + "; expected one of page_view, api_request, search, add_to_cart, purchase,"
                + " signup");
      }
    }
  }

  /** Counts answers by type; {@link #awaitAnswers} waits until every callback has run. */
  private static final class Tally {
    // Guarded by this.
    private long pending;
    private long published;
    private long failed;
    private String firstFailure = "";
    private final Map<SyntheticEvents.Type, Long> byType =
        new EnumMap<>(SyntheticEvents.Type.class);

    synchronized void sent() {
      pending++;
    }

    synchronized void published(SyntheticEvents.Type type) {
      published++;
      byType.merge(type, 1L, Long::sum);
      answered();
    }

    synchronized void failed(String reason) {
      if (failed++ == 0) {
        firstFailure = reason;
      }
      answered();
    }

    private void answered() {
      if (--pending == 0) {
        notifyAll();
      }
    }

    synchronized void awaitAnswers() throws InterruptedException {
      while (pending > 0) {
        wait();
      }
    }
  }
}

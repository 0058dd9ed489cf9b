package io.eventflow.cli;

import io.eventflow.timeseries.api.SeriesSummary;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code eventflow series list}: prints the series of the catalog, one per line with its own
 * aggregate function, in name order.
 */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    versionProvider = EventflowCommand.Version.class,
    description = {
      "Prints every series the query service knows, in name order: its name and its own"
          + " aggregate function (sum, min or max), aligned in two columns.",
      "",
      "Names: TYPE.count and TYPE.CUSTOMER.count for every event; TYPE[.CUSTOMER].ATTRIBUTE.FUNC"
          + " for a rollup TYPE:FUNC:ATTRIBUTE; TYPE.DIMENSION=VALUE.count and"
          + " TYPE.DIMENSION=VALUE.ATTRIBUTE.FUNC for rollups with by=DIMENSION (values past the"
          + " per-dimension bound under VALUE __other__). Characters other than letters, digits,"
          + " '_' and '-' are %%XX-escaped in each component. --prefix purchase.plan= lists one"
          + " dimension's series.",
    })
final class SeriesListCommand implements Callable<Integer> {
  @Mixin QueryServerOptions server;

  @Option(
      names = "--prefix",
      paramLabel = "PREFIX",
      defaultValue = "",
      description = "Only series whose name starts with PREFIX, e.g. purchase. Default: all.")
  String prefix;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    List<SeriesSummary> series = server.call(client -> client.listAllSeries(prefix));
    if (series.isEmpty()) {
      PrintWriter err = spec.commandLine().getErr();
      err.println(prefix.isEmpty() ? "no series" : "no series named " + prefix + "…");
      err.flush();
      return 0;
    }
    int width = 0;
    for (SeriesSummary s : series) {
      width = Math.max(width, s.name().length());
    }
    PrintWriter out = spec.commandLine().getOut();
    for (SeriesSummary s : series) {
      out.println(
          s.name()
              + " ".repeat(width - s.name().length() + 2)
              + SeriesGetCommand.name(s.function()));
    }
    out.flush();
    return 0;
  }
}

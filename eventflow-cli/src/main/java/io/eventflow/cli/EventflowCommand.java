package io.eventflow.cli;

import java.io.PrintWriter;
import java.lang.reflect.Constructor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The root {@code eventflow} command. It does nothing itself; each subcommand is a class listed in
 * {@code subcommands} below. A subcommand that needs the environment, stdin or clocks declares a
 * constructor taking a {@link CliContext}, and prints through {@code spec.commandLine().getOut()}
 * so tests can capture it.
 */
@Command(
    name = "eventflow",
    mixinStandardHelpOptions = true,
    versionProvider = EventflowCommand.Version.class,
    description = "Publishes events to eventflow's Pub/Sub topics.",
    subcommands = {
      // One line per subcommand.
      PublishCommand.class,
      BrokerCommand.class,
      FeedCommand.class,
      LocalCommand.class,
      MqttCommand.class,
      CollectorCommand.class,
      ProcessorCommand.class,
      BenchCommand.class,
      SeriesCommand.class,
      EventsCommand.class,
      EntitiesCommand.class,
      CommandLine.HelpCommand.class,
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:Success.",
      "1:An error; nothing, or not everything, was published.",
      "2:Bad flags.",
      "3:Some input lines were rejected; all the others were published (or loaded).",
      "4:Not found (entities get).",
    })
public final class EventflowCommand implements Runnable {
  /** Exit status when the command ran but some events could not be published. */
  public static final int EXIT_ERROR = 1;

  /** Exit status for bad flags, as picocli reports them. */
  public static final int EXIT_USAGE = 2;

  /** Exit status when some input lines were rejected and every other line was published. */
  public static final int EXIT_REJECTED = 3;

  /** Exit status when what was asked for does not exist ({@code entities get}). */
  public static final int EXIT_NOT_FOUND = 4;

  @Mixin VerboseOption verbose;

  @Spec CommandSpec spec;

  /** Creates the root command; use {@link #commandLine} to get one ready to execute. */
  public EventflowCommand() {}

  /** Fails with the usage message: the root command needs a subcommand. */
  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing subcommand");
  }

  /**
   * Returns the {@code eventflow} command line, its commands built with the given context and its
   * errors reported as one line on stderr (with the stack trace under {@code --verbose}).
   */
  public static CommandLine commandLine(CliContext context) {
    CommandLine commandLine = new CommandLine(new EventflowCommand(), new ContextFactory(context));
    commandLine.setExecutionExceptionHandler(EventflowCommand::reportError);
    return commandLine;
  }

  /**
   * Returns the command line for {@code args}. For {@code series} and {@code publish}, and for
   * {@code --version}, the root carries only the subcommand asked for: picocli reflects over every
   * registered command class when it builds the command line, and the others ({@code local}, {@code
   * bench}, {@code feed}) pull in the option types of the embedded pipelines. Measured in
   * docs/BENCHMARKS.md ("CLI start"). Anything else (help, an unknown or misspelled subcommand,
   * root options before the subcommand) gets the full {@link #commandLine(CliContext)}.
   */
  public static CommandLine commandLine(CliContext context, String... args) {
    String first = args.length == 0 ? "" : args[0];
    Class<?> only =
        switch (first) {
          case "series" -> SeriesCommand.class;
          case "publish" -> PublishCommand.class;
          case "events" -> EventsCommand.class;
          case "entities" -> EntitiesCommand.class;
          default -> null;
        };
    if (only == null && !first.equals("--version") && !first.equals("-V")) {
      return commandLine(context);
    }
    ContextFactory factory = new ContextFactory(context);
    CommandLine commandLine = new CommandLine(new QuickRoot(), factory);
    if (only != null) {
      commandLine.addSubcommand(first, new CommandLine(only, factory));
    }
    commandLine.setExecutionExceptionHandler(EventflowCommand::reportError);
    return commandLine;
  }

  /** The root of {@link #commandLine(CliContext, String...)}: the same name, version and flags. */
  @Command(
      name = "eventflow",
      mixinStandardHelpOptions = true,
      versionProvider = EventflowCommand.Version.class)
  static final class QuickRoot implements Runnable {
    @Mixin VerboseOption verbose;

    @Spec CommandSpec spec;

    @Override
    public void run() {
      throw new ParameterException(spec.commandLine(), "Missing subcommand");
    }
  }

  /** {@code -v}/{@code --verbose}, on both roots and inherited by every subcommand. */
  static final class VerboseOption {
    @Option(
        names = {"-v", "--verbose"},
        scope = ScopeType.INHERIT,
        description = "Print the stack trace of an error, not just its one-line message.")
    boolean verbose;
  }

  /** Prints one line naming the command and what went wrong; exits with {@link #EXIT_ERROR}. */
  private static int reportError(Exception e, CommandLine command, ParseResult parseResult) {
    PrintWriter err = command.getErr();
    err.println(command.getCommandSpec().qualifiedName() + ": " + Errors.describe(e));
    if (verbose(parseResult)) {
      e.printStackTrace(err);
    }
    err.flush();
    return EXIT_ERROR;
  }

  private static boolean verbose(ParseResult parseResult) {
    for (ParseResult result = parseResult; result != null; result = result.subcommand()) {
      if (result.hasMatchedOption("--verbose")) {
        return true;
      }
    }
    return false;
  }

  /** Builds commands with a {@link CliContext} constructor from the context, others as usual. */
  private static final class ContextFactory implements CommandLine.IFactory {
    private final CliContext context;
    private final CommandLine.IFactory fallback = CommandLine.defaultFactory();

    ContextFactory(CliContext context) {
      this.context = context;
    }

    @Override
    public <K> K create(Class<K> type) throws Exception {
      for (Constructor<?> constructor : type.getDeclaredConstructors()) {
        Class<?>[] parameters = constructor.getParameterTypes();
        if (parameters.length == 1 && parameters[0] == CliContext.class) {
          constructor.setAccessible(true);
          return type.cast(constructor.newInstance(context));
        }
      }
      return fallback.create(type);
    }
  }

  /** Reports the version the fat jar's manifest records. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = EventflowCommand.class.getPackage().getImplementationVersion();
      return new String[] {"eventflow " + (version == null ? "(development build)" : version)};
    }
  }
}

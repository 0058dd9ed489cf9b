package io.eventflow.cli;

import io.eventflow.common.Entities;
import io.eventflow.common.pb.Entity;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code eventflow entities get KIND KEY}: prints one entity as a line of proto3 JSON. */
@Command(
    name = "get",
    mixinStandardHelpOptions = true,
    versionProvider = EventflowCommand.Version.class,
    description = {
      "Prints the entity of KIND and KEY as one line of proto3 JSON, the format entities load"
          + " reads. An entity that does not exist is a message on stderr and exit code 4.",
    })
final class EntitiesGetCommand implements Callable<Integer> {
  private final CliContext context;

  @Mixin EntityTableOptions table;

  @Parameters(index = "0", paramLabel = "KIND", description = "The entity's kind, e.g. customer.")
  String kind;

  @Parameters(index = "1", paramLabel = "KEY", description = "The entity's key, e.g. acme.")
  String key;

  @Spec CommandSpec spec;

  EntitiesGetCommand(CliContext context) {
    this.context = context;
  }

  @Override
  public Integer call() throws IOException {
    try {
      Entities.checkKind(kind);
      Entities.checkKey(key);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    Optional<Entity> entity = table.run(context.environment(), t -> t.get(kind, key));
    if (entity.isEmpty()) {
      PrintWriter err = spec.commandLine().getErr();
      err.println(spec.qualifiedName() + ": no " + kind + " entity with key \"" + key + "\"");
      err.flush();
      return EventflowCommand.EXIT_NOT_FOUND;
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println(Entities.print(entity.get()));
    out.flush();
    return 0;
  }
}

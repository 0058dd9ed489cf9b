package io.eventflow.cli;

import com.google.common.base.Ticker;
import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * What the commands take from the world outside their flags: environment variables, standard input,
 * the clock, a ticker for measuring rates, a source of random seeds, and a way to run code on
 * Ctrl-C. {@link Main} passes the real ones; tests pass fixed ones so runs are exact.
 *
 * @param environment looks up an environment variable, returning null when unset
 * @param stdin standard input
 * @param clock stamps events and judges timestamps
 * @param ticker measures elapsed time for rates
 * @param seeds supplies a seed when a command is not given {@code --seed}
 * @param shutdownHooks registers work to run when the process is interrupted
 */
public record CliContext(
    Function<String, String> environment,
    InputStream stdin,
    Clock clock,
    Ticker ticker,
    LongSupplier seeds,
    ShutdownHooks shutdownHooks) {

  /** Registers and removes work to run when the process is asked to stop. */
  public interface ShutdownHooks {
    /** Runs {@code hook} if the process is interrupted; returns a handle that unregisters it. */
    Runnable register(Runnable hook);
  }

  /** Checks that nothing is null. */
  public CliContext {
    Objects.requireNonNull(environment, "environment");
    Objects.requireNonNull(stdin, "stdin");
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(ticker, "ticker");
    Objects.requireNonNull(seeds, "seeds");
    Objects.requireNonNull(shutdownHooks, "shutdownHooks");
  }

  /** Returns the context of a real process: its environment, stdin, clocks and JVM hooks. */
  public static CliContext system() {
    SecureRandom random = new SecureRandom();
    return new CliContext(
        System::getenv,
        System.in,
        Clock.systemUTC(),
        Ticker.systemTicker(),
        random::nextLong,
        hook -> {
          Thread thread = new Thread(hook, "eventflow-shutdown");
          Runtime.getRuntime().addShutdownHook(thread);
          return () -> {
            try {
              Runtime.getRuntime().removeShutdownHook(thread);
            } catch (IllegalStateException alreadyShuttingDown) {
              // The hook is running or has run; nothing to remove.
            }
          };
        });
  }
}

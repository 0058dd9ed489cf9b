package io.eventflow.timeseries.store.spanner;

import io.eventflow.testing.CloudEmulatorProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The interval store contract against the Spanner emulator binary of the Google Cloud CLI, run as a
 * child process on a free loopback port (no Docker needed). Where the emulator is not installed the
 * class is skipped with a message.
 */
class SpannerEmulatorProcessTest extends SpannerEmulatorContract {
  private static CloudEmulatorProcess emulator;

  @BeforeAll
  static void startEmulator() throws Exception {
    emulator = CloudEmulatorProcess.startSpanner();
  }

  @AfterAll
  static void stopEmulator() throws Exception {
    if (emulator != null) {
      emulator.close();
    }
  }

  @Override
  protected String emulatorHost() {
    return emulator.hostAndPort();
  }
}

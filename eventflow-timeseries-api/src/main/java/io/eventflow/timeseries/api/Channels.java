package io.eventflow.timeseries.api;

import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** What the clients do with the channels they own. */
final class Channels {
  private Channels() {}

  /** Shuts a channel down, waiting up to {@code grace} for calls in flight, then cancels them. */
  static void close(ManagedChannel channel, Duration grace) {
    channel.shutdown();
    try {
      if (!channel.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}

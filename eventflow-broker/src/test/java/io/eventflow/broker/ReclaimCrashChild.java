package io.eventflow.broker;

import io.eventflow.broker.log.ReclaimObserver;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The child JVM of {@link CompactionCrashTest}, not a test: a durable broker that halts the process
 * when a segment deletion or compaction reaches a given step. {@link Runtime#halt} stops it as
 * {@code kill -9} would: no shutdown hook runs, nothing is closed or flushed. It runs one reclaim
 * pass for each line it reads on stdin. Arguments: the data directory and the step's name.
 */
public final class ReclaimCrashChild {
  private ReclaimCrashChild() {}

  /** Starts the broker, prints the ready line and reclaims once per line of stdin. */
  public static void main(String[] args) throws Exception {
    Path dataDir = Path.of(args[0]);
    ReclaimObserver.Step haltAt = ReclaimObserver.Step.valueOf(args[1]);
    BrokerConfig config =
        CompactionCrashTest.config(dataDir)
            .reclaimObserver(
                step -> {
                  if (step == haltAt) {
                    Runtime.getRuntime().halt(CompactionCrashTest.HALTED);
                  }
                })
            .build();
    try (Broker broker = Broker.start(config)) {
      System.out.println("ready: PUBSUB_EMULATOR_HOST=" + broker.hostAndPort());
      System.out.flush();
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        broker.applyRetention();
        System.out.println("reclaimed without reaching " + haltAt);
        System.out.flush();
      }
    }
  }
}

package io.eventflow.local;

/** The engine the local stack runs its two Beam jobs on. */
public enum LocalRunner {
  /**
   * Apache Flink through Beam's FlinkRunner, on a Flink mini-cluster inside the process: state
   * checkpointed under the data directory and restored on start, so a crash loses and repeats
   * nothing. The default.
   */
  FLINK,

  /**
   * Beam's DirectRunner, a runner made to check pipelines: state lives in memory only, so a crash
   * between a write and its acknowledgement repeats work, and a stop waits for the jobs to drain.
   * Kept to compare the two (see {@code eventflow bench --runner}).
   */
  DIRECT
}

package io.eventflow.beam;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Options both jobs take to run fast on Beam's single-process DirectRunner (the local stack); their
 * defaults are what a distributed runner such as Dataflow needs.
 */
public interface SingleProcessOptions extends PipelineOptions {
  /** How a job reads and writes Pub/Sub. */
  enum PubsubTransport {
    /** Beam's PubsubIO: Dataflow's native source and sink, which scale and drop redeliveries. */
    PUBSUB_IO,
    /**
     * {@link PullPubsubMessages} and {@link PublishPubsubMessages}: up to 1,000 messages per pull
     * or publish over gRPC, for the DirectRunner.
     */
    BATCHED_GRPC
  }

  /** Where a job remembers event ids to drop repeats. */
  enum DedupIn {
    /** Beam state and a timer per id, on any runner and across worker restarts. */
    STATE,
    /** {@link DropRepeatedIdsInMemory}: a cache in the job's one JVM. */
    MEMORY,
    /**
     * {@link DropRepeatedIdsInState}: 64-bit fingerprints of ids in one table per shard of
     * checkpointed state, for a runner keeping state on the heap (the local stack's Flink).
     */
    FINGERPRINTS
  }

  /** Returns {@code --pubsubTransport}, as described. */
  @Description(
      "How the job reads and writes Pub/Sub: PUBSUB_IO (Beam's PubsubIO, for Dataflow; the"
          + " default) or BATCHED_GRPC (pulls and publishes of up to 1,000 messages over gRPC at"
          + " the endpoint of --pubsubRootUrl, for the DirectRunner, which reads PubsubIO 10"
          + " elements per bundle and writes it through the REST API)")
  @Default.Enum("PUBSUB_IO")
  PubsubTransport getPubsubTransport();

  /** Sets {@code --pubsubTransport}. */
  void setPubsubTransport(PubsubTransport value);

  /** Returns {@code --dedupIn}, as described. */
  @Description(
      "Where event ids are remembered to drop repeats: STATE (Beam state and timers, any runner;"
          + " the default), MEMORY (a cache in this JVM, for the single-process DirectRunner,"
          + " where a state cell and timer per id cost a bundle each) or FINGERPRINTS (ids as"
          + " 64-bit fingerprints in a table per shard of checkpointed state, for Flink's heap"
          + " state, whose checkpoints write every state cell and timer)")
  @Default.Enum("STATE")
  DedupIn getDedupIn();

  /** Sets {@code --dedupIn}. */
  void setDedupIn(DedupIn value);

  /** Returns {@code --checkpointedWrites}, as described. */
  @Description(
      "Write the archive and interval rows only from checkpointed input, with names and row ids"
          + " that depend on nothing but that input, and drop redelivered dead letters by message"
          + " id: for a runner that restores checkpoints after a crash (the local stack's Flink),"
          + " where a write replayed from a checkpoint must overwrite, not add. Needs"
          + " checkpointing and a fixed --rowIdSalt and --archiveRunId. Default: false.")
  @Default.Boolean(false)
  boolean getCheckpointedWrites();

  /** Sets {@code --checkpointedWrites}. */
  void setCheckpointedWrites(boolean value);
}

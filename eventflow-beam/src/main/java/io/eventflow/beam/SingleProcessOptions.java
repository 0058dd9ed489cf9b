package io.eventflow.beam;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Options both jobs take to run fast on Beam's single-process DirectRunner (the local stack); their
 * defaults are what a distributed runner such as Dataflow needs.
 */
public interface SingleProcessOptions extends PipelineOptions {
  /** How a job reads its subscription. */
  enum PubsubRead {
    /** Beam's PubsubIO: Dataflow's native source, which scales and deduplicates redeliveries. */
    PUBSUB_IO,
    /** {@link PullPubsubMessages}: up to 1,000 messages per element, for the DirectRunner. */
    BATCHED_PULL
  }

  /** Where a job remembers event ids to drop repeats. */
  enum DedupIn {
    /** Beam state and a timer per id, on any runner and across worker restarts. */
    STATE,
    /** {@link DropRepeatedIdsInMemory}: a cache in the job's one JVM. */
    MEMORY
  }

  /** Returns {@code --pubsubRead}, as described. */
  @Description(
      "How the job reads its subscription: PUBSUB_IO (Beam's PubsubIO, for Dataflow; the default)"
          + " or BATCHED_PULL (gRPC pulls of up to 1,000 messages per element from the endpoint of"
          + " --pubsubRootUrl, for the DirectRunner, which reads 10 elements per bundle)")
  @Default.Enum("PUBSUB_IO")
  PubsubRead getPubsubRead();

  /** Sets {@code --pubsubRead}. */
  void setPubsubRead(PubsubRead value);

  /** Returns {@code --dedupIn}, as described. */
  @Description(
      "Where event ids are remembered to drop repeats: STATE (Beam state and timers, any runner;"
          + " the default) or MEMORY (a cache in this JVM, for the single-process DirectRunner,"
          + " where a state cell and timer per id cost a bundle each)")
  @Default.Enum("STATE")
  DedupIn getDedupIn();

  /** Sets {@code --dedupIn}. */
  void setDedupIn(DedupIn value);
}

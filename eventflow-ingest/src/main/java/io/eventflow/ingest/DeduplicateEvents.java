package io.eventflow.ingest;

import io.eventflow.common.pb.Event;
import org.apache.beam.sdk.transforms.Deduplicate;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;

/**
 * Passes on the first event with each id and drops later ones seen within a window of processing
 * time, so a redelivered or republished message is processed once.
 *
 * <p>Dataflow already drops redeliveries by the {@code event.id} id attribute, but only on
 * Dataflow; this works on every runner (state and a timer per id) and also catches a producer that
 * publishes the same event twice as two messages. Pub/Sub redelivers after the ack deadline (10 s
 * by default, up to 600 s), so the default window of 10 minutes covers every redelivery of a
 * message the job has seen, at the cost of keeping one id (~36 bytes plus overhead) per event of
 * the last 10 minutes in state.
 */
public final class DeduplicateEvents extends PTransform<PCollection<Event>, PCollection<Event>> {
  private static final long serialVersionUID = 1L;

  private final Duration window;

  /** Creates the transform remembering ids for the given window. */
  public DeduplicateEvents(Duration window) {
    this.window = window;
  }

  @Override
  public PCollection<Event> expand(PCollection<Event> events) {
    return events.apply(
        "DropRepeatedIds",
        Deduplicate.<Event, String>withRepresentativeValueFn(Event::getId)
            .withRepresentativeType(TypeDescriptors.strings())
            .withDuration(window));
  }
}

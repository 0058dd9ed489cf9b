package io.eventflow.ingest;

import io.eventflow.common.pb.Event;
import io.eventflow.ingest.pb.InvalidMessage;

/** What became of one message: a valid event or an invalid-message record, never both. */
public sealed interface ParseOutcome {

  /**
   * The message held a valid event.
   *
   * @param event the decoded event, which passed every rule
   */
  record Valid(Event event) implements ParseOutcome {}

  /**
   * The message broke a rule.
   *
   * @param record the dead-letter record keeping the original message and the reason
   */
  record Invalid(InvalidMessage record) implements ParseOutcome {}
}

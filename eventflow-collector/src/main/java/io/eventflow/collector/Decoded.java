package io.eventflow.collector;

import io.eventflow.common.pb.Event;

/**
 * One element of a request body: an event, or why it is none.
 *
 * @param event the event; null when the element could not be read
 * @param rejected why the element is no event; null for an event
 */
record Decoded(Event event, Rejected rejected) {
  static Decoded of(Event event) {
    return new Decoded(event, null);
  }

  static Decoded rejected(Rejected rejected) {
    return new Decoded(null, rejected);
  }
}

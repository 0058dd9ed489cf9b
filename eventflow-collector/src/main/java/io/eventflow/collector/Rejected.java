package io.eventflow.collector;

import io.eventflow.collector.pb.Rejection;
import io.eventflow.common.pb.InvalidReason;

/**
 * Why one event of a request was not published.
 *
 * @param index the event's position in its request, from 0
 * @param reason the reason code ingest uses for the same fault
 * @param detail what exactly is wrong, for a human
 */
public record Rejected(int index, InvalidReason reason, String detail) {
  /** Returns the gRPC form. */
  public Rejection toProto() {
    return Rejection.newBuilder().setIndex(index).setReason(reason).setDetail(detail).build();
  }
}

package io.eventflow.broker;

import com.google.pubsub.v1.ReceivedMessage;
import java.util.List;

/**
 * Where a subscription hands out messages: an open StreamingPull stream or one waiting Pull call.
 * Capacity and claiming are read under the subscription's lock; delivery happens outside it, on the
 * subscription's single dispatcher, so a sink never sees two deliveries at once.
 */
interface DeliverySink {

  /** How many more messages the sink takes now (flow control, stream readiness); 0 for none. */
  int availableMessages();

  /** How many more bytes the sink takes now. */
  long availableBytes();

  /** Called under the subscription lock once {@code count} messages are leased to this sink. */
  void claimed(int count, long bytes);

  /** Hands over leased messages; called outside the lock, never concurrently. */
  void deliver(List<ReceivedMessage> messages);

  /** Returns capacity when a leased message is acked, nacked or expires. */
  void released(int count, long bytes);

  /** Ends the sink with an error, e.g. because its subscription was deleted. */
  void fail(io.grpc.Status status);

  /** The ack deadline, in seconds, of messages delivered to this sink. */
  int ackDeadlineSeconds();
}

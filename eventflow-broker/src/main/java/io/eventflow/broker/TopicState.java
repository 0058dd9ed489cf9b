package io.eventflow.broker;

import com.google.pubsub.v1.Topic;
import io.eventflow.broker.log.SegmentedLog;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;

/** One topic at run time: its configuration, its message log and the subscriptions attached. */
final class TopicState {
  private final Topic config;
  private final SegmentedLog log;
  private final Set<SubscriptionState> subscriptions = new CopyOnWriteArraySet<>();

  TopicState(Topic config, SegmentedLog log) {
    this.config = config;
    this.log = log;
    log.setAppendListener(end -> subscriptions.forEach(SubscriptionState::signal));
  }

  String name() {
    return config.getName();
  }

  Topic config() {
    return config;
  }

  SegmentedLog log() {
    return log;
  }

  Set<SubscriptionState> subscriptions() {
    return subscriptions;
  }
}

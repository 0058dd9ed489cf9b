package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reading the broker's subscription gauges out of its Prometheus text. */
class BrokerBacklogTest {
  /** Label values with quotes and backslashes are unescaped; other metrics are ignored. */
  @Test
  void parsesThePrometheusTextOfTheSubscriptionGauges() {
    String metrics =
        "# HELP x\n"
            + "eventflow_broker_messages_published_total{topic=\"t\",} 5.0\n"
            + "eventflow_broker_subscription_num_undelivered_messages{subscription=\"a\\\"b\",} 3.0\n"
            + "eventflow_broker_subscription_oldest_unacked_message_age_seconds{subscription=\"a\\\"b\",} 1.5\n"
            + "eventflow_broker_subscription_unacked_messages_by_delivery_attempts{delivery_attempts=\"4+\",subscription=\"a\\\"b\",} 2.0\n";
    Map<String, BrokerBacklog> parsed = BrokerBacklog.parse(metrics);
    assertThat(parsed).containsOnlyKeys("a\"b");
    BrokerBacklog b = parsed.get("a\"b");
    assertThat(b.unacknowledged()).isEqualTo(3);
    assertThat(b.oldestAgeSeconds()).isEqualTo(1.5);
    assertThat(b.byDeliveryAttempts()).containsExactly(0, 0, 0, 0, 2);
  }
}

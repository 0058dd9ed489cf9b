package io.eventflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.TreeMap;
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

  /** The JSON form is valid JSON whatever a name holds, and carries every figure. */
  @Test
  void jsonIsValidForAnyNameAndCarriesEveryFigure() throws Exception {
    String name = "projects/p/subscriptions/a\"b\\c\u0001";
    Map<String, BrokerBacklog> backlogs = new TreeMap<>();
    backlogs.put(name, new BrokerBacklog(3, 900, 90.5, 2, new long[] {1, 1, 1, 0, 0}));

    JsonNode parsed = new ObjectMapper().readTree(BrokerBacklog.json(backlogs));

    JsonNode subscription = parsed.get("subscriptions").get(0);
    assertThat(subscription.get("name").asText()).isEqualTo(name);
    assertThat(subscription.get("num_undelivered_messages").asLong()).isEqualTo(3);
    assertThat(subscription.get("backlog_bytes").asLong()).isEqualTo(900);
    assertThat(subscription.get("oldest_unacked_message_age_seconds").asDouble()).isEqualTo(90.5);
    assertThat(subscription.get("num_outstanding_messages").asLong()).isEqualTo(2);
    assertThat(subscription.get("delivery_attempts").toString())
        .isEqualTo("{\"0\":1,\"1\":1,\"2\":1,\"3\":0,\"4+\":0}");
  }
}

package io.eventflow.mqtt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InOrderAcksTest {
  private final List<Integer> sent = new ArrayList<>();
  private final List<Long> latencies = new ArrayList<>();
  private final InOrderAcks acks = new InOrderAcks(latencies::add);

  private InOrderAcks.Pending add(int n, long at) {
    return acks.add(() -> sent.add(n), at);
  }

  @Test
  void aConfirmedMessageWaitsForEveryEarlierOne() {
    InOrderAcks.Pending first = add(1, 0);
    InOrderAcks.Pending second = add(2, 10);
    InOrderAcks.Pending third = add(3, 20);

    acks.confirmed(third, 30);
    acks.confirmed(second, 40);
    assertThat(sent).isEmpty();
    assertThat(acks.inFlight()).isEqualTo(3);

    acks.confirmed(first, 50);
    assertThat(sent).containsExactly(1, 2, 3);
    assertThat(latencies).containsExactly(50L, 40L, 30L);
    assertThat(acks.inFlight()).isZero();
  }

  @Test
  void messagesOfAnEndedConnectionAreNeverAcknowledged() {
    InOrderAcks.Pending old = add(1, 0);
    assertThat(acks.reset()).isEqualTo(1);
    InOrderAcks.Pending fresh = add(2, 5);

    acks.confirmed(old, 10);
    assertThat(sent).isEmpty();
    acks.confirmed(fresh, 10);
    assertThat(sent).containsExactly(2);
  }

  @Test
  void awaitEmptyReturnsOnceAllAreAcknowledgedOrAtTheDeadline() throws Exception {
    InOrderAcks.Pending only = add(1, 0);
    assertThat(acks.awaitEmpty(System.nanoTime())).isFalse();
    acks.confirmed(only, 1);
    assertThat(acks.awaitEmpty(System.nanoTime())).isTrue();
  }
}

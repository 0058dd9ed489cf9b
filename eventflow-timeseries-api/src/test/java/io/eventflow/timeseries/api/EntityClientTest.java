package io.eventflow.timeseries.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.Entity;
import io.eventflow.timeseries.api.pb.UpsertEntitiesRequest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How {@link EntityClient#upsert} splits entities into requests the service takes. */
class EntityClientTest {
  private static Entity customer(int i, int bytes) {
    return Entity.newBuilder()
        .setKind("customer")
        .setKey("c-" + i)
        .putAttributes("note", AttributeValues.of("x".repeat(bytes)))
        .build();
  }

  private static List<Entity> entities(int count, int bytes) {
    List<Entity> entities = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      entities.add(customer(i, bytes));
    }
    return entities;
  }

  private static List<Integer> counts(List<UpsertEntitiesRequest> requests) {
    return requests.stream().map(UpsertEntitiesRequest::getEntitiesCount).toList();
  }

  @Test
  void smallEntitiesGoInRequestsOfAtMostAThousandInOrder() {
    List<Entity> entities = entities(2_345, 10);

    List<UpsertEntitiesRequest> requests = EntityClient.requests(entities);

    assertThat(counts(requests)).containsExactly(1_000, 1_000, 345);
    List<Entity> sent = new ArrayList<>();
    requests.forEach(r -> sent.addAll(r.getEntitiesList()));
    assertThat(sent).isEqualTo(entities);
  }

  @Test
  void largeEntitiesStartANewRequestBeforeItPassesTheByteBound() {
    // 100 KB each: 31 fit under 3 MiB with their framing, the 32nd starts the next request.
    List<UpsertEntitiesRequest> requests = EntityClient.requests(entities(70, 100_000));

    assertThat(counts(requests)).containsExactly(31, 31, 8);
    assertThat(requests)
        .allSatisfy(
            r -> assertThat(r.getSerializedSize()).isLessThan(EntityClient.MAX_REQUEST_BYTES));
  }

  @Test
  void anEntityOverTheByteBoundGoesAloneAndNothingIsEmptyOrLost() {
    List<Entity> entities = List.of(customer(0, 10), customer(1, 4_000_000), customer(2, 10));

    assertThat(counts(EntityClient.requests(entities))).containsExactly(1, 1, 1);
    assertThat(EntityClient.requests(List.of())).isEmpty();
  }
}

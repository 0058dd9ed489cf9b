package io.eventflow.timeseries.srv;

import static io.eventflow.timeseries.srv.TimeSeriesServerTest.assertStatus;
import static io.eventflow.timeseries.srv.TimeSeriesServerTest.assertUnavailableWithTheDetailLogged;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.Entity;
import io.eventflow.timeseries.api.EntityClient;
import io.eventflow.timeseries.api.pb.EntityServiceGrpc;
import io.eventflow.timeseries.api.pb.GetEntityRequest;
import io.eventflow.timeseries.api.pb.UpsertEntitiesRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code EntityService} in the real server, in-process, over the real embedded entities table,
 * called through the real {@link EntityClient}.
 */
class EntityServiceTest {
  private ServerFixture server;
  private String url;
  private ManagedChannel channel;
  private EntityClient client;

  @BeforeEach
  void startServer() throws Exception {
    server = ServerFixture.startWithEntities();
    url = server.storeUrl;
    channel = server.channel;
    client = new EntityClient(channel);
  }

  @AfterEach
  void stopServer() throws Exception {
    server.close();
  }

  private static Entity customer(String key, String plan) {
    return Entity.newBuilder()
        .setKind("customer")
        .setKey(key)
        .putAttributes("plan", AttributeValues.of(plan))
        .build();
  }

  @Test
  void upsertedEntitiesAreReadBackAndAnUpsertReplacesTheWholeRow() {
    Entity acme =
        customer("acme", "gold").toBuilder()
            .putAttributes("region", AttributeValues.of("eu"))
            .build();
    assertThat(client.upsert(List.of(acme, customer("globex", "free")))).isEqualTo(2);
    assertThat(client.get("customer", "acme")).contains(acme);

    assertThat(client.upsert(List.of(customer("acme", "silver")))).isEqualTo(1);

    assertThat(client.get("customer", "acme")).contains(customer("acme", "silver"));
    assertThat(client.get("customer", "globex")).contains(customer("globex", "free"));
    assertThat(client.get("source", "acme")).isEmpty(); // kinds are apart
  }

  @Test
  void anUnknownEntityIsNotFoundNamingItsKindAndKey() {
    EntityServiceGrpc.EntityServiceBlockingStub stub = EntityServiceGrpc.newBlockingStub(channel);
    assertStatus(
        () ->
            stub.getEntity(
                GetEntityRequest.newBuilder().setKind("customer").setKey("nobody").build()),
        Status.Code.NOT_FOUND,
        "no customer entity with key \"nobody\"");
    assertThat(client.get("customer", "nobody")).isEmpty();
  }

  @Test
  void manyEntitiesGoInRequestsOfAtMostTheLimitAndAllArrive() {
    List<Entity> entities = new ArrayList<>();
    for (int i = 0; i < 2_345; i++) {
      entities.add(customer("c-" + i, i % 2 == 0 ? "gold" : "free"));
    }

    assertThat(client.upsert(entities)).isEqualTo(2_345);

    assertThat(client.get("customer", "c-0")).contains(customer("c-0", "gold"));
    assertThat(client.get("customer", "c-2344")).contains(customer("c-2344", "gold"));
    assertThat(client.get("customer", "c-1999")).contains(customer("c-1999", "free"));
  }

  @Test
  void aBadEntityFailsItsRequestNamingItsIndexAndNothingOfItIsWritten() {
    EntityServiceGrpc.EntityServiceBlockingStub stub = EntityServiceGrpc.newBlockingStub(channel);
    UpsertEntitiesRequest request =
        UpsertEntitiesRequest.newBuilder()
            .addEntities(customer("acme", "gold"))
            .addEntities(customer("", "gold"))
            .build();

    assertStatus(
        () -> stub.upsertEntities(request),
        Status.Code.INVALID_ARGUMENT,
        "entities[1]: key is empty or blank");
    assertThat(client.get("customer", "acme")).isEmpty();

    assertStatus(
        () -> client.upsert(List.of(customer("acme", "gold").toBuilder().setKind("").build())),
        Status.Code.INVALID_ARGUMENT,
        "entities[0]: kind \"\": use 1 to 64 lower-case letters, digits, '_' or '-'");
    assertStatus(
        () -> client.upsert(List.of(customer("k".repeat(1_025), "gold"))),
        Status.Code.INVALID_ARGUMENT,
        "entities[0]: key longer than 1024 characters: 1025");
    Entity big =
        customer("acme", "gold").toBuilder()
            .putAttributes("big", AttributeValues.of("x".repeat(1_000_000)))
            .build();
    assertStatus(
        () -> client.upsert(List.of(big)),
        Status.Code.INVALID_ARGUMENT,
        "entities[0]: "
            + big.getSerializedSize()
            + " bytes serialized, more than the 1000000 an entity may have");
  }

  @Test
  void moreEntitiesThanTheLimitInOneRequestAreInvalidArgument() {
    UpsertEntitiesRequest.Builder request = UpsertEntitiesRequest.newBuilder();
    for (int i = 0; i <= EntityClient.MAX_ENTITIES_PER_REQUEST; i++) {
      request.addEntities(customer("c-" + i, "gold"));
    }

    assertStatus(
        () -> EntityServiceGrpc.newBlockingStub(channel).upsertEntities(request.build()),
        Status.Code.INVALID_ARGUMENT,
        "at most 1000 entities per request, got 1001; send them in several requests");
    assertThat(client.get("customer", "c-0")).isEmpty();
  }

  @Test
  void aBadKindOrKeyToGetIsInvalidArgument() {
    assertStatus(
        () -> client.get("Customer", "acme"),
        Status.Code.INVALID_ARGUMENT,
        "kind \"Customer\": use 1 to 64 lower-case letters, digits, '_' or '-'");
    assertStatus(
        () -> client.get("customer", " "), Status.Code.INVALID_ARGUMENT, "key is empty or blank");
    assertStatus(
        () -> client.get("customer", "k".repeat(1_025)),
        Status.Code.INVALID_ARGUMENT,
        "key longer than 1024 characters: 1025");
  }

  @Test
  void aStoreThatFailsIsUnavailableWithAnErrorIdAndTheDetailOnlyInTheLog() throws Exception {
    try (Connection c = DriverManager.getConnection(url, "sa", "");
        Statement s = c.createStatement()) {
      s.execute("SHUTDOWN");
    }
    assertUnavailableWithTheDetailLogged(
        () -> client.get("customer", "acme"), "entities table", url);
  }

  @Test
  void aServerWithoutAnEntitiesTableDoesNotServeTheService() throws Exception {
    // A replica over the same database, started without the entities table.
    EntityClient other = new EntityClient(server.replica(c -> c).channel);
    assertThatThrownBy(() -> other.get("customer", "acme"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
  }
}

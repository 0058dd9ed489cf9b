package io.eventflow.timeseries.store.spanner;

import static io.eventflow.timeseries.store.spanner.MockSpannerServer.resultSet;
import static io.eventflow.timeseries.store.spanner.MockSpannerServer.string;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.spanner.MockSpannerServiceImpl.SimulatedExecutionTime;
import com.google.cloud.spanner.MockSpannerServiceImpl.StatementResult;
import com.google.protobuf.Value;
import com.google.spanner.v1.CommitRequest;
import com.google.spanner.v1.ExecuteSqlRequest;
import com.google.spanner.v1.Mutation;
import com.google.spanner.v1.TypeCode;
import io.eventflow.common.AttributeValues;
import io.eventflow.common.pb.Entity;
import io.eventflow.timeseries.store.StoreException;
import io.grpc.Status;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Spanner entities adapter against google-cloud-spanner's in-process mock server. */
class SpannerEntityStoreTest {
  private static final Entity ACME =
      Entity.newBuilder()
          .setKind("customer")
          .setKey("acme")
          .putAttributes("plan", AttributeValues.of("gold"))
          .putAttributes("seats", AttributeValues.of(12L))
          .build();

  private MockSpannerServer server;
  private SpannerEntityStore store;

  @BeforeEach
  void start() throws IOException {
    server = new MockSpannerServer();
    store = SpannerEntityStore.open(server.options(), MockSpannerServer.DATABASE);
  }

  @AfterEach
  void stop() throws InterruptedException {
    store.close();
    server.close();
  }

  private static Value bytes(Entity e) {
    return string(Base64.getEncoder().encodeToString(e.toByteArray()));
  }

  @Test
  void oneQueryReadsAllKeysOfAKindAndAbsentKeysAreMissing() throws StoreException {
    server.mock.putStatementResult(
        StatementResult.query(
            SpannerEntityStore.readStatement("customer", List.of("acme", "nobody")),
            resultSet(
                List.of("entity_key", "entity"),
                List.of(TypeCode.STRING, TypeCode.BYTES),
                List.of(List.of(string("acme"), bytes(ACME))))));

    Map<String, Entity> read = store.read("customer", List.of("acme", "nobody"));

    assertThat(read).containsOnlyKeys("acme").containsEntry("acme", ACME);
    List<ExecuteSqlRequest> queries = server.mock.getRequestsOfType(ExecuteSqlRequest.class);
    assertThat(queries).hasSize(1);
    assertThat(queries.get(0).getSql()).isEqualTo(SpannerEntityStore.READ);
    assertThat(queries.get(0).getTransaction().getSingleUse().getReadOnly().hasMaxStaleness())
        .isFalse();
  }

  @Test
  void aFailedReadIsAStoreException() {
    server.mock.putStatementResult(
        StatementResult.query(
            SpannerEntityStore.readStatement("customer", List.of("acme")),
            resultSet(
                List.of("entity_key", "entity"),
                List.of(TypeCode.STRING, TypeCode.BYTES),
                List.of())));
    server.mock.setExecuteStreamingSqlExecutionTime(
        SimulatedExecutionTime.ofException(Status.PERMISSION_DENIED.asRuntimeException()));

    assertThatThrownBy(() -> store.read("customer", List.of("acme")))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("cannot read 1 customer entities from Spanner");
  }

  @Test
  void upsertsAreInsertOrUpdateMutationsSplitPerCommit() throws Exception {
    List<Entity> many = new ArrayList<>();
    for (int i = 0; i < SpannerEntityStore.MAX_ROWS_PER_COMMIT + 1; i++) {
      many.add(ACME.toBuilder().setKey("c" + i).build());
    }

    store.upsert(many);

    List<CommitRequest> commits = server.mock.getRequestsOfType(CommitRequest.class);
    assertThat(commits).hasSize(2);
    Mutation.Write first = commits.get(0).getMutations(0).getInsertOrUpdate();
    assertThat(first.getTable()).isEqualTo("entities");
    assertThat(first.getColumnsList())
        .containsExactly("kind", "entity_key", "entity", "commit_time");
    List<Value> row = first.getValues(0).getValuesList();
    assertThat(row.get(0).getStringValue()).isEqualTo("customer");
    assertThat(row.get(1).getStringValue()).isEqualTo("c0");
    assertThat(Entity.parseFrom(Base64.getDecoder().decode(row.get(2).getStringValue())))
        .isEqualTo(ACME.toBuilder().setKey("c0").build());
    assertThat(row.get(3).getStringValue()).isEqualTo("spanner.commit_timestamp()");
    int rows = 0;
    for (CommitRequest c : commits) {
      for (Mutation m : c.getMutationsList()) {
        rows += m.getInsertOrUpdate().getValuesCount();
      }
    }
    assertThat(rows).isEqualTo(many.size());
  }
}

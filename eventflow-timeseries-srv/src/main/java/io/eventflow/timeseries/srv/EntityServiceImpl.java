package io.eventflow.timeseries.srv;

import io.eventflow.common.Entities;
import io.eventflow.common.pb.Entity;
import io.eventflow.timeseries.api.EntityClient;
import io.eventflow.timeseries.api.pb.EntityServiceGrpc;
import io.eventflow.timeseries.api.pb.GetEntityRequest;
import io.eventflow.timeseries.api.pb.UpsertEntitiesRequest;
import io.eventflow.timeseries.api.pb.UpsertEntitiesResponse;
import io.eventflow.timeseries.store.EntityStore;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Map;

/**
 * The {@code EntityService} endpoint over the entities table: upserts checked by {@link Entities}'
 * rules, and reads of one entity. Bad input is INVALID_ARGUMENT naming what is wrong (and, in an
 * upsert, the entity's index); a missing entity NOT_FOUND; the store's failures as in {@link
 * StoreCalls}. Store work runs on the query pool, like queries: the handlers never block a
 * transport thread.
 */
public final class EntityServiceImpl extends EntityServiceGrpc.EntityServiceImplBase {
  /**
   * The largest serialized entity: the embedded store's {@code entity} column holds 1,000,000 bytes
   * (Spanner's would take 10 MiB), and an entity is a few hundred bytes of metadata.
   */
  static final int MAX_ENTITY_BYTES = 1_000_000;

  private final EntityStore store;
  private final StoreCalls calls;

  /** Creates the endpoint over an entities table, its store work on the given calls' pool. */
  EntityServiceImpl(EntityStore store, StoreCalls calls) {
    this.store = store;
    this.calls = calls;
  }

  @Override
  public void upsertEntities(
      UpsertEntitiesRequest request, StreamObserver<UpsertEntitiesResponse> responses) {
    List<Entity> entities = request.getEntitiesList();
    String problem = check(entities);
    if (problem != null) {
      StoreCalls.fail(responses, Status.INVALID_ARGUMENT.withDescription(problem));
      return;
    }
    submit(
        responses,
        () -> {
          if (!entities.isEmpty()) {
            store.upsert(entities);
          }
          // Answered only now: the store committed every row of the request.
          responses.onNext(
              UpsertEntitiesResponse.newBuilder().setUpsertedCount(entities.size()).build());
          responses.onCompleted();
        });
  }

  /** A call's store work; it answers the call itself. */
  @FunctionalInterface
  private interface Work {
    void run() throws Exception;
  }

  /** Runs store work on the query pool; its failures are answered as {@link StoreCalls} says. */
  private void submit(StreamObserver<?> responses, Work work) {
    calls.submit(responses, "entities table", e -> null, deadline -> work.run());
  }

  /** Returns what is wrong with a request's entities, or null when they may all be stored. */
  static String check(List<Entity> entities) {
    if (entities.size() > EntityClient.MAX_ENTITIES_PER_REQUEST) {
      return "at most "
          + EntityClient.MAX_ENTITIES_PER_REQUEST
          + " entities per request, got "
          + entities.size()
          + "; send them in several requests";
    }
    for (int i = 0; i < entities.size(); i++) {
      Entity entity = entities.get(i);
      try {
        Entities.check(entity);
      } catch (IllegalArgumentException e) {
        return "entities[" + i + "]: " + e.getMessage();
      }
      if (entity.getSerializedSize() > MAX_ENTITY_BYTES) {
        return "entities["
            + i
            + "]: "
            + entity.getSerializedSize()
            + " bytes serialized, more than the "
            + MAX_ENTITY_BYTES
            + " an entity may have";
      }
    }
    return null;
  }

  @Override
  public void getEntity(GetEntityRequest request, StreamObserver<Entity> responses) {
    String kind = request.getKind();
    String key = request.getKey();
    try {
      Entities.checkKind(kind);
      Entities.checkKey(key);
    } catch (IllegalArgumentException e) {
      StoreCalls.fail(responses, Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
      return;
    }
    submit(
        responses,
        () -> {
          Map<String, Entity> found = store.read(kind, List.of(key));
          Entity entity = found.get(key);
          if (entity == null) {
            StoreCalls.fail(
                responses,
                Status.NOT_FOUND.withDescription(
                    "no " + kind + " entity with key \"" + key + "\""));
            return;
          }
          responses.onNext(entity);
          responses.onCompleted();
        });
  }
}

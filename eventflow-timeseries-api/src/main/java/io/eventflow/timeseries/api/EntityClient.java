package io.eventflow.timeseries.api;

import io.eventflow.common.pb.Entity;
import io.eventflow.timeseries.api.pb.EntityServiceGrpc;
import io.eventflow.timeseries.api.pb.GetEntityRequest;
import io.eventflow.timeseries.api.pb.UpsertEntitiesRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A small blocking client of {@code EntityService} (entities.proto): upserts any number of entities
 * in requests within the service's limits, and reads one. It owns its channel and closes it. Failed
 * calls throw {@link StatusRuntimeException} with the server's status and description.
 */
public final class EntityClient implements AutoCloseable {
  /** The most entities the service takes in one {@code UpsertEntities} request. */
  public static final int MAX_ENTITIES_PER_REQUEST = 1_000;

  /**
   * The most serialized bytes this client puts in one request: gRPC servers refuse messages over 4
   * MiB by default, and a thousand entities of a few hundred bytes stay far below this anyway.
   */
  static final int MAX_REQUEST_BYTES = 3 * 1024 * 1024;

  /** The deadline of each call: a request of a thousand entities is one store commit. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(30);

  private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

  private final ManagedChannel channel;
  private final EntityServiceGrpc.EntityServiceBlockingStub stub;
  private final Duration deadline;

  /** Creates a client over the given channel, which it takes over and closes. */
  public EntityClient(ManagedChannel channel) {
    this.channel = Objects.requireNonNull(channel, "channel");
    this.deadline = DEFAULT_DEADLINE;
    this.stub = EntityServiceGrpc.newBlockingStub(channel);
  }

  /** Connects to a server at {@code target} ({@code host:port}) over plaintext HTTP/2. */
  public static EntityClient connect(String target) {
    return new EntityClient(
        Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build());
  }

  /**
   * Inserts the entities or replaces their stored rows whole, in requests of at most {@link
   * #MAX_ENTITIES_PER_REQUEST} entities and {@link #MAX_REQUEST_BYTES} bytes, one after the other.
   * If a request fails, the earlier ones stay written (upserts are idempotent: sending everything
   * again is safe).
   *
   * @return how many entities were written
   * @throws StatusRuntimeException for the first request that failed
   */
  public int upsert(List<Entity> entities) {
    int written = 0;
    for (UpsertEntitiesRequest request : requests(entities)) {
      written += stub().upsertEntities(request).getUpsertedCount();
    }
    return written;
  }

  /**
   * Splits entities into the requests {@link #upsert} sends, in order: a new request begins at
   * {@link #MAX_ENTITIES_PER_REQUEST} entities or when the next entity would take the request past
   * {@link #MAX_REQUEST_BYTES} (an entity larger than that goes alone, for the server to judge).
   */
  static List<UpsertEntitiesRequest> requests(List<Entity> entities) {
    List<UpsertEntitiesRequest> requests = new ArrayList<>();
    UpsertEntitiesRequest.Builder request = UpsertEntitiesRequest.newBuilder();
    long bytes = 0;
    for (Entity entity : entities) {
      // The entity's bytes plus its field tag and length prefix (at most 1 + 5 bytes).
      long size = entity.getSerializedSize() + 6L;
      if (request.getEntitiesCount() == MAX_ENTITIES_PER_REQUEST
          || (request.getEntitiesCount() > 0 && bytes + size > MAX_REQUEST_BYTES)) {
        requests.add(request.build());
        request = UpsertEntitiesRequest.newBuilder();
        bytes = 0;
      }
      request.addEntities(entity);
      bytes += size;
    }
    if (request.getEntitiesCount() > 0) {
      requests.add(request.build());
    }
    return requests;
  }

  /**
   * Reads the entity of a kind and key.
   *
   * @return the entity, or empty when the table has none (the service's NOT_FOUND)
   * @throws StatusRuntimeException for any other failure (INVALID_ARGUMENT for a bad kind or key)
   */
  public Optional<Entity> get(String kind, String key) {
    try {
      return Optional.of(
          stub().getEntity(GetEntityRequest.newBuilder().setKind(kind).setKey(key).build()));
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
  }

  private EntityServiceGrpc.EntityServiceBlockingStub stub() {
    return stub.withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Shuts the channel down, waiting up to five seconds for calls in flight. */
  @Override
  public void close() {
    Channels.close(channel, CLOSE_GRACE);
  }
}

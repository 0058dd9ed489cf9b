package io.eventflow.collector;

import com.google.protobuf.util.Durations;
import com.linecorp.armeria.server.ServiceRequestContext;
import io.eventflow.collector.pb.CallRequest;
import io.eventflow.collector.pb.CallResponse;
import io.eventflow.collector.pb.CollectorGrpc;
import io.eventflow.collector.pb.CollectorMessage;
import io.eventflow.collector.pb.ProcessorMessage;
import io.eventflow.collector.pb.SendRequest;
import io.eventflow.collector.pb.SendResponse;
import io.eventflow.collector.pb.StreamAck;
import io.eventflow.collector.pb.StreamEvent;
import io.eventflow.common.pb.Event;
import io.eventflow.common.pb.InvalidReason;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;

/**
 * The gRPC API ({@code eventflow.collector.Collector}): {@code Send}, {@code SendStream}, {@code
 * Call} and the processors' {@code Connect}, on the same port and behind the same API keys as the
 * HTTP API. Every method answers from futures; none blocks the event loop it runs on.
 */
final class CollectorGrpcService extends CollectorGrpc.CollectorImplBase {
  /**
   * Events of one SendStream read but not yet acknowledged, at most: 1,000, what one Pub/Sub
   * request holds, so a stream keeps a full batch in flight while a stalled Pub/Sub holds at most
   * that many events per stream.
   */
  static final int STREAM_WINDOW = 1_000;

  private final Intake intake;
  private final Calls calls;
  private final Processors processors;
  private final int maxEventBytes;

  CollectorGrpcService(Intake intake, Calls calls, Processors processors, int maxEventBytes) {
    this.intake = intake;
    this.calls = calls;
    this.processors = processors;
    this.maxEventBytes = maxEventBytes;
  }

  private static Optional<String> source() {
    return ApiKeyDecorator.source(ServiceRequestContext.current());
  }

  private List<Decoded> decode(List<Event> events) {
    List<Decoded> decoded = new ArrayList<>(events.size());
    for (Event event : events) {
      int size = event.getSerializedSize();
      decoded.add(
          size > maxEventBytes
              ? Decoded.rejected(
                  new Rejected(
                      decoded.size(),
                      InvalidReason.PAYLOAD_TOO_LARGE,
                      "event is " + size + " bytes, more than the limit of " + maxEventBytes))
              : Decoded.of(event));
    }
    return decoded;
  }

  static Throwable toStatus(Throwable error) {
    Throwable cause =
        error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof SinkUnavailableException) {
      return Status.UNAVAILABLE.withDescription(cause.getMessage()).asException();
    }
    Status status = Status.fromThrowable(cause);
    return status.getCode() == Status.Code.UNKNOWN
        ? Status.INTERNAL.withDescription(String.valueOf(cause)).asException()
        : status.asException();
  }

  @Override
  public void send(SendRequest request, StreamObserver<SendResponse> response) {
    intake
        .accept(decode(request.getEventsList()), request.getSerializedSize(), source())
        .whenComplete(
            (result, error) -> {
              if (error != null) {
                response.onError(toStatus(error));
              } else {
                response.onNext(result.toProto());
                response.onCompleted();
              }
            });
  }

  @Override
  public StreamObserver<StreamEvent> sendStream(StreamObserver<StreamAck> acks) {
    return new SendStream((ServerCallStreamObserver<StreamAck>) acks, source());
  }

  /**
   * One SendStream: reads events while fewer than {@link #STREAM_WINDOW} are unacknowledged and the
   * caller reads its acknowledgements ({@code isReady}), acknowledges each once Pub/Sub confirmed
   * it, and completes after the last acknowledgement.
   */
  private final class SendStream implements StreamObserver<StreamEvent> {
    private final ServerCallStreamObserver<StreamAck> acks;
    private final Optional<String> source;
    private int unacknowledged;
    private int owed; // reads not yet requested because the caller was not ready for acks
    private boolean halfClosed;
    private boolean done;

    SendStream(ServerCallStreamObserver<StreamAck> acks, Optional<String> source) {
      this.acks = acks;
      this.source = source;
      acks.disableAutoRequest();
      acks.setOnReadyHandler(this::requestOwed);
      acks.setOnCancelHandler(
          () -> {
            synchronized (this) {
              done = true;
            }
          });
      acks.request(STREAM_WINDOW);
    }

    private synchronized void requestOwed() {
      if (owed > 0 && acks.isReady() && !done) {
        int n = owed;
        owed = 0;
        acks.request(n);
      }
    }

    @Override
    public void onNext(StreamEvent message) {
      synchronized (this) {
        unacknowledged++;
      }
      long sequence = message.getSequence();
      intake
          .accept(decode(List.of(message.getEvent())), message.getSerializedSize(), source)
          .whenComplete((result, error) -> acknowledge(sequence, result, error));
    }

    private synchronized void acknowledge(long sequence, IntakeResult result, Throwable error) {
      unacknowledged--;
      if (done) {
        return;
      }
      if (error != null) {
        // Pub/Sub is unavailable: end the stream, so the caller resends what is unacknowledged.
        done = true;
        acks.onError(toStatus(error));
        return;
      }
      StreamAck.Builder ack = StreamAck.newBuilder().setSequence(sequence);
      if (result.accepted() == 1) {
        ack.setId(result.ids().get(0));
      } else {
        ack.setRejection(result.rejected().get(0).toProto());
      }
      acks.onNext(ack.build());
      // Flow control: read the next event only while the caller keeps up with acknowledgements.
      owed++;
      requestOwed();
      if (halfClosed && unacknowledged == 0) {
        done = true;
        acks.onCompleted();
      }
    }

    @Override
    public synchronized void onError(Throwable t) {
      done = true;
    }

    @Override
    public synchronized void onCompleted() {
      halfClosed = true;
      if (unacknowledged == 0 && !done) {
        done = true;
        acks.onCompleted();
      }
    }
  }

  @Override
  public void call(CallRequest request, StreamObserver<CallResponse> response) {
    Optional<Duration> timeout =
        request.hasTimeout()
            ? Optional.of(Duration.ofNanos(Durations.toNanos(request.getTimeout())))
            : Optional.empty();
    calls
        .call(request.getEvent(), timeout, !request.getSkipPublish(), source())
        .whenComplete(
            (answer, error) -> {
              if (error != null) {
                response.onError(toStatus(error));
              } else {
                response.onNext(
                    CallResponse.newBuilder()
                        .setResponse(answer.response())
                        .setProcessor(answer.processor())
                        .build());
                response.onCompleted();
              }
            });
  }

  @Override
  public StreamObserver<ProcessorMessage> connect(StreamObserver<CollectorMessage> requests) {
    return processors.connect(requests);
  }
}

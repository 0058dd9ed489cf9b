package io.eventflow.collector;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.google.protobuf.InvalidProtocolBufferException;
import io.eventflow.collector.pb.SendRequest;
import io.eventflow.common.EventJson;
import io.eventflow.common.EventJsonException;
import io.eventflow.common.pb.Event;
import io.eventflow.common.pb.InvalidReason;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads request bodies into events: one event as proto3 JSON ({@code application/json}, and {@code
 * text/plain}, which is what {@code navigator.sendBeacon} sends with a string) or binary protobuf
 * ({@code application/x-protobuf}); a batch as a JSON array, newline-delimited JSON ({@code
 * application/x-ndjson}, or any JSON type whose body does not start with {@code [}) or a binary
 * {@code SendRequest}.
 *
 * <p>An element that is no event becomes a {@link Rejected} with ingest's reason code, so the rest
 * of a batch still goes through; a body that cannot be read at all, or an element over the event
 * size limit, is a {@link BadRequestException}.
 */
final class RequestDecoder {
  private static final JsonFactory JSON = new JsonFactory();

  /** The body formats, from the request's content type. */
  enum Format {
    JSON,
    NDJSON,
    PROTOBUF;

    /**
     * Returns the format of a content type's media type ({@code type/subtype}, lower case, no
     * parameters).
     *
     * @throws BadRequestException (415) for any other type
     */
    static Format of(String mediaType) {
      return switch (mediaType) {
        case "application/json", "text/plain", "" -> JSON;
        case "application/x-ndjson", "application/ndjson", "application/jsonl" -> NDJSON;
        case "application/x-protobuf", "application/protobuf", "application/octet-stream" ->
            PROTOBUF;
        default ->
            throw new BadRequestException(
                415,
                InvalidReason.UNSUPPORTED_CONTENT_TYPE,
                "content type "
                    + mediaType
                    + " is not application/json, text/plain, application/x-ndjson or"
                    + " application/x-protobuf");
      };
    }
  }

  private final int maxEventBytes;

  RequestDecoder(int maxEventBytes) {
    this.maxEventBytes = maxEventBytes;
  }

  /**
   * Reads one event.
   *
   * @throws BadRequestException 413 over the event size limit, 400 if it is no event at all
   */
  Decoded single(Format format, byte[] body) {
    checkSize(body.length, 0);
    try {
      return Decoded.of(
          format == Format.PROTOBUF ? Event.parseFrom(body) : EventJson.parse(strip(body)));
    } catch (InvalidProtocolBufferException e) {
      throw new BadRequestException(
          400, InvalidReason.MALFORMED_PROTOBUF, "body is no protobuf Event: " + e.getMessage());
    } catch (EventJsonException e) {
      throw new BadRequestException(400, InvalidReason.MALFORMED_JSON, e.getMessage());
    }
  }

  /**
   * Reads a batch.
   *
   * @throws BadRequestException 413 if an element is over the event size limit, 400 if the body is
   *     no batch at all
   */
  List<Decoded> batch(Format format, byte[] body) {
    if (format == Format.PROTOBUF) {
      try {
        List<Decoded> events = new ArrayList<>();
        for (Event event : SendRequest.parseFrom(body).getEventsList()) {
          checkSize(event.getSerializedSize(), events.size());
          events.add(Decoded.of(event));
        }
        return events;
      } catch (InvalidProtocolBufferException e) {
        throw new BadRequestException(
            400, InvalidReason.MALFORMED_PROTOBUF, "body is no SendRequest: " + e.getMessage());
      }
    }
    int first = 0;
    while (first < body.length && isWhitespace(body[first])) {
      first++;
    }
    if (format == Format.JSON && first < body.length && body[first] == '[') {
      return array(body);
    }
    return lines(body);
  }

  private List<Decoded> array(byte[] body) {
    List<Decoded> events = new ArrayList<>();
    try (JsonParser p = JSON.createParser(body)) {
      p.nextToken(); // the '[' batch() saw
      JsonToken token;
      while ((token = p.nextToken()) != JsonToken.END_ARRAY) {
        if (token == null) {
          throw new BadRequestException(
              400, InvalidReason.MALFORMED_JSON, "the JSON array is not closed");
        }
        int index = events.size();
        long start = p.currentTokenLocation().getByteOffset();
        // Skipping the element checks its syntax; its bytes are then parsed as one event.
        p.skipChildren();
        long end = p.currentLocation().getByteOffset();
        if (token != JsonToken.START_OBJECT) {
          events.add(
              Decoded.rejected(
                  new Rejected(index, InvalidReason.MALFORMED_JSON, "element is no JSON object")));
          continue;
        }
        checkSize(end - start, index);
        events.add(parse(Arrays.copyOfRange(body, (int) start, (int) end), index));
      }
      if (p.nextToken() != null) {
        throw new BadRequestException(
            400, InvalidReason.MALFORMED_JSON, "text after the JSON array");
      }
    } catch (IOException e) {
      throw new BadRequestException(
          400,
          InvalidReason.MALFORMED_JSON,
          "body is no JSON array: "
              + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
    }
    return events;
  }

  private List<Decoded> lines(byte[] body) {
    List<Decoded> events = new ArrayList<>();
    int start = 0;
    while (start < body.length) {
      int end = start;
      while (end < body.length && body[end] != '\n') {
        end++;
      }
      int from = start;
      int to = end;
      while (from < to && isWhitespace(body[from])) {
        from++;
      }
      while (to > from && isWhitespace(body[to - 1])) {
        to--;
      }
      if (to > from) {
        checkSize(to - from, events.size());
        events.add(parse(Arrays.copyOfRange(body, from, to), events.size()));
      }
      start = end + 1;
    }
    return events;
  }

  private static Decoded parse(byte[] json, int index) {
    try {
      return Decoded.of(EventJson.parse(json));
    } catch (EventJsonException e) {
      return Decoded.rejected(new Rejected(index, InvalidReason.MALFORMED_JSON, e.getMessage()));
    }
  }

  private void checkSize(long bytes, int index) {
    if (bytes > maxEventBytes) {
      throw new BadRequestException(
          413,
          InvalidReason.PAYLOAD_TOO_LARGE,
          "event "
              + index
              + " is "
              + bytes
              + " bytes, more than the limit of "
              + maxEventBytes
              + " per event");
    }
  }

  private static byte[] strip(byte[] body) {
    int from = 0;
    int to = body.length;
    while (from < to && isWhitespace(body[from])) {
      from++;
    }
    while (to > from && isWhitespace(body[to - 1])) {
      to--;
    }
    return from == 0 && to == body.length ? body : Arrays.copyOfRange(body, from, to);
  }

  private static boolean isWhitespace(byte b) {
    return b == ' ' || b == '\n' || b == '\r' || b == '\t';
  }

  /** A request body the collector cannot read, answered with its status and reason. */
  static final class BadRequestException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final InvalidReason reason;

    BadRequestException(int status, InvalidReason reason, String message) {
      super(message);
      this.status = status;
      this.reason = reason;
    }

    /** The HTTP status: 400, 413 or 415. */
    int status() {
      return status;
    }

    /** The reason code. */
    InvalidReason reason() {
      return reason;
    }
  }
}

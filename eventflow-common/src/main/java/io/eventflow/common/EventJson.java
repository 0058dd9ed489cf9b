package io.eventflow.common;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.google.common.base.Utf8;
import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.StringValue;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.JsonFormat;
import com.google.protobuf.util.Timestamps;
import io.eventflow.common.pb.AttributeValue;
import io.eventflow.common.pb.Event;
import io.eventflow.common.pb.EventOrBuilder;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigDecimal;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.Base64;
import java.util.Map;

/**
 * A fast proto3 JSON codec for {@link Event}.
 *
 * <p><b>Parsing</b> accepts exactly what {@code JsonFormat.parser().merge(json,
 * Event.newBuilder())} accepts and gives the same event. It has two paths:
 *
 * <ol>
 *   <li>A fast path: one pass of Jackson's strict streaming parser straight into an {@link
 *       Event.Builder}, for the documents producers actually send: strict JSON, each field once,
 *       values of their canonical JSON type (lowerCamel or original field names, int64 as number or
 *       string, base64 bytes, RFC 3339 timestamps with offsets, durations like "1.5s", the customer
 *       as a plain string). Conversions of values use the very functions {@code JsonFormat} uses
 *       ({@code Long.parseLong}, {@code BigDecimal}, {@code Timestamps}, {@code Durations}, {@code
 *       java.util.Base64}), so an accepted value is the same value.
 *   <li>A fallback to {@code JsonFormat} itself for everything else. {@code JsonFormat} reads JSON
 *       through Gson in lenient mode, so it also accepts comments, unquoted names and strings,
 *       single quotes, content after the object, numbers for strings, {@code [5]} for {@code 5},
 *       {@code null} for an unset field, and a repeated key (the last one wins). Rather than
 *       re-implementing each quirk, anything the fast path does not fully understand is handed to
 *       {@code JsonFormat}, which decides. Invalid input therefore costs a {@code JsonFormat}
 *       parse; valid input almost never does.
 * </ol>
 *
 * <p>Bytes are decoded as strict UTF-8: a payload that is not well-formed UTF-8 is rejected rather
 * than having its bad bytes silently replaced by U+FFFD, which would change the data.
 *
 * <p><b>Printing</b> produces exactly what {@code
 * JsonFormat.printer().omittingInsignificantWhitespace().print(event)} produces (lowerCamel names,
 * int64 as strings, Gson's HTML-safe string escaping).
 *
 * <p>Thread-safe; all methods are static.
 */
public final class EventJson {
  private static final JsonFactory FACTORY =
      JsonFactory.builder()
          // Error messages are ours; keeping the source in locations only costs time.
          .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
          // Correctly rounded like Double.parseDouble (so the same double), without a String.
          .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
          .build();

  private static final JsonFormat.Parser REFERENCE_PARSER = JsonFormat.parser();

  /** JsonFormat's range check for doubles: Double.MAX_VALUE widened by one part per million. */
  private static final BigDecimal MAX_DOUBLE =
      new BigDecimal(Double.toString(Double.MAX_VALUE)).multiply(new BigDecimal("1.000001"));

  private static final BigDecimal MIN_DOUBLE = MAX_DOUBLE.negate();

  /**
   * Signals that the fast path cannot decide a document. Thrown often on bad input, so it is one
   * shared instance without a stack trace.
   */
  private static final class NotFast extends Exception {
    private static final long serialVersionUID = 1L;
    static final NotFast INSTANCE = new NotFast();

    private NotFast() {
      super(null, null, false, false);
    }
  }

  private EventJson() {}

  /**
   * Parses a UTF-8 proto3 JSON event.
   *
   * @throws EventJsonException if the bytes are not well-formed UTF-8 or not a JSON event
   */
  public static Event parse(byte[] utf8) throws EventJsonException {
    // Jackson reads the bytes directly only when they cannot be taken for UTF-16 or UTF-32, which
    // its encoding detection would otherwise try (a NUL as second byte).
    if (utf8.length > 1 && utf8[0] == '{' && utf8[1] != 0) {
      Event fast;
      try (JsonParser p = FACTORY.createParser(utf8)) {
        fast = parseFast(p);
      } catch (NotFast | IOException e) {
        fast = null;
      }
      if (fast != null) {
        // Jackson decodes some malformed sequences (overlong forms) instead of rejecting them.
        if (!isAscii(utf8) && !Utf8.isWellFormed(utf8)) {
          throw new EventJsonException("payload is not well-formed UTF-8");
        }
        return fast;
      }
      return parseWithJsonFormat(decode(utf8));
    }
    return parse(decode(utf8));
  }

  /**
   * Parses a proto3 JSON event.
   *
   * @throws EventJsonException if the text is not a JSON event
   */
  public static Event parse(String json) throws EventJsonException {
    Event fast = parseFastOrNull(json);
    return fast != null ? fast : parseWithJsonFormat(json);
  }

  /**
   * Returns what the fast path alone makes of a document, or null where it defers to JsonFormat.
   * Tests use it to prove the fast path agrees with JsonFormat wherever it decides.
   */
  static Event parseFastOrNull(String json) {
    Event fast;
    try (JsonParser p = FACTORY.createParser(json)) {
      fast = parseFast(p);
    } catch (NotFast | IOException e) {
      return null;
    }
    // Jackson's char parser takes each hex digit of a unicode escape from the low byte of its char,
    // so a backslash, 'u', "004" and U+0141 decode as "A" where JsonFormat rejects the document.
    // (Its byte parser rejects them: parse(byte[]) needs no check.)
    return json.indexOf('\\') < 0 || unicodeEscapesAreHex(json) ? fast : null;
  }

  private static boolean unicodeEscapesAreHex(String json) {
    for (int i = json.indexOf('\\'); i >= 0; i = json.indexOf('\\', i + 2)) {
      if (i + 1 < json.length() && json.charAt(i + 1) == 'u') {
        if (i + 6 > json.length()) {
          return false;
        }
        for (int k = i + 2; k < i + 6; k++) {
          if (Character.digit(json.charAt(k), 16) < 0 || json.charAt(k) > 'f') {
            return false;
          }
        }
      }
    }
    return true;
  }

  private static String decode(byte[] utf8) throws EventJsonException {
    String json = new String(utf8, StandardCharsets.UTF_8);
    // The JDK replaces malformed input with U+FFFD; only then is a full check worth its cost.
    if (json.indexOf('\uFFFD') >= 0 && !Utf8.isWellFormed(utf8)) {
      throw new EventJsonException("payload is not well-formed UTF-8");
    }
    return json;
  }

  /** Eight bytes at a time: every UTF-8 byte of a non-ASCII character has its high bit set. */
  private static boolean isAscii(byte[] bytes) {
    int i = 0;
    for (; i + Long.BYTES <= bytes.length; i += Long.BYTES) {
      if (((long) LONGS.get(bytes, i) & 0x8080_8080_8080_8080L) != 0) {
        return false;
      }
    }
    for (; i < bytes.length; i++) {
      if (bytes[i] < 0) {
        return false;
      }
    }
    return true;
  }

  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private static Event parseWithJsonFormat(String json) throws EventJsonException {
    Event.Builder builder = Event.newBuilder();
    try {
      REFERENCE_PARSER.merge(json, builder);
      return builder.build();
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw new EventJsonException("not a JSON event: " + e.getMessage(), e);
    } catch (StackOverflowError e) {
      throw new EventJsonException("not a JSON event: nested too deeply", e);
    }
  }

  private static Event parseFast(JsonParser p) throws NotFast, IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      throw NotFast.INSTANCE;
    }
    Event.Builder event = Event.newBuilder();
    int seen = 0;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      int field;
      switch (p.currentName()) {
        case "id" -> {
          field = 1;
          event.setId(string(p));
        }
        case "type" -> {
          field = 2;
          event.setType(string(p));
        }
        case "source" -> {
          field = 4;
          event.setSource(string(p));
        }
        case "customer" -> {
          field = 8;
          event.setCustomer(StringValue.of(string(p)));
        }
        case "timestamp" -> {
          field = 16;
          event.setTimestamp(timestamp(string(p)));
        }
        case "attributes" -> {
          field = 32;
          attributes(p, event);
        }
        default -> throw NotFast.INSTANCE;
      }
      if ((seen & field) != 0) {
        throw NotFast.INSTANCE; // a repeated key: JsonFormat keeps the last one
      }
      seen |= field;
    }
    if (p.nextToken() != null) {
      throw NotFast.INSTANCE; // content after the object: JsonFormat ignores it
    }
    return event.build();
  }

  private static void attributes(JsonParser p, Event.Builder event) throws NotFast, IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      throw NotFast.INSTANCE;
    }
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      int before = event.getAttributesCount();
      event.putAttributes(key, attributeValue(p));
      if (event.getAttributesCount() == before) {
        throw NotFast.INSTANCE; // a repeated key: JsonFormat keeps the last one
      }
    }
  }

  private static AttributeValue attributeValue(JsonParser p) throws NotFast, IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      throw NotFast.INSTANCE;
    }
    if (p.nextToken() == JsonToken.END_OBJECT) {
      return AttributeValue.getDefaultInstance();
    }
    AttributeValue.Builder value = AttributeValue.newBuilder();
    switch (p.currentName()) {
      case "boolValue", "bool_value" -> value.setBoolValue(bool(p));
      case "intValue", "int_value" -> value.setIntValue(int64(p));
      case "floatValue", "float_value" -> value.setFloatValue(float64(p));
      case "stringValue", "string_value" -> value.setStringValue(string(p));
      case "bytesValue", "bytes_value" -> value.setBytesValue(bytes(string(p)));
      case "timestampValue", "timestamp_value" -> value.setTimestampValue(timestamp(string(p)));
      case "durationValue", "duration_value" -> value.setDurationValue(duration(string(p)));
      default -> throw NotFast.INSTANCE;
    }
    // A second key is a oneof conflict, a duplicate, or a null: JsonFormat's rules decide.
    if (p.nextToken() != JsonToken.END_OBJECT) {
      throw NotFast.INSTANCE;
    }
    return value.build();
  }

  private static String string(JsonParser p) throws NotFast, IOException {
    if (p.nextToken() != JsonToken.VALUE_STRING) {
      throw NotFast.INSTANCE;
    }
    return p.getText();
  }

  /** Same as JsonFormat: the text "true" or "false", quoted or not. */
  private static boolean bool(JsonParser p) throws NotFast, IOException {
    JsonToken token = p.nextToken();
    if (token == JsonToken.VALUE_TRUE) {
      return true;
    } else if (token == JsonToken.VALUE_FALSE) {
      return false;
    } else if (token == JsonToken.VALUE_STRING) {
      String text = p.getText();
      if (text.equals("true")) {
        return true;
      } else if (text.equals("false")) {
        return false;
      }
    }
    throw NotFast.INSTANCE;
  }

  /**
   * Same as JsonFormat's first attempt: {@code Long.parseLong} of the number's or string's text.
   */
  private static long int64(JsonParser p) throws NotFast, IOException {
    JsonToken token = p.nextToken();
    if (token == JsonToken.VALUE_NUMBER_INT) {
      // JSON integer syntax is a subset of what Long.parseLong reads, and Jackson reads it to the
      // same value without making a String; out of range it throws, and JsonFormat decides.
      try {
        return p.getLongValue();
      } catch (JsonProcessingException e) {
        throw NotFast.INSTANCE;
      }
    }
    if (token != JsonToken.VALUE_STRING && token != JsonToken.VALUE_NUMBER_FLOAT) {
      throw NotFast.INSTANCE;
    }
    try {
      return Long.parseLong(p.getText());
    } catch (NumberFormatException e) {
      throw NotFast.INSTANCE; // JsonFormat goes on to try BigDecimal ("1e3", "5.0")
    }
  }

  /** Same as JsonFormat: the special names, else a range-checked BigDecimal. */
  private static double float64(JsonParser p) throws NotFast, IOException {
    JsonToken token = p.nextToken();
    if (token == JsonToken.VALUE_NUMBER_FLOAT || token == JsonToken.VALUE_NUMBER_INT) {
      // Both Double.parseDouble and BigDecimal.doubleValue round the exact decimal value correctly,
      // so they agree on every JSON number except zeros, where BigDecimal drops the sign of "-0",
      // and overflow, where JsonFormat's range check decides. JSON number syntax rules out the
      // forms only parseDouble accepts (hex, "d" suffixes, blanks).
      double d = p.getDoubleValue();
      if (d != 0.0 && !Double.isInfinite(d)) {
        return d;
      }
      return decimalToDouble(p.getText());
    }
    if (token != JsonToken.VALUE_STRING) {
      throw NotFast.INSTANCE;
    }
    String text = p.getText();
    switch (text) {
      case "NaN":
        return Double.NaN;
      case "Infinity":
        return Double.POSITIVE_INFINITY;
      case "-Infinity":
        return Double.NEGATIVE_INFINITY;
      default:
        return decimalToDouble(text);
    }
  }

  private static double decimalToDouble(String text) throws NotFast {
    try {
      BigDecimal value = new BigDecimal(text);
      if (value.compareTo(MAX_DOUBLE) > 0 || value.compareTo(MIN_DOUBLE) < 0) {
        throw NotFast.INSTANCE;
      }
      // BigDecimal, not Double.parseDouble: "-0" must become 0.0 as it does in JsonFormat.
      return value.doubleValue();
    } catch (NumberFormatException e) {
      throw NotFast.INSTANCE;
    }
  }

  /** Same as JsonFormat: java.util's standard base64, else its URL-safe base64. */
  private static ByteString bytes(String text) throws NotFast {
    try {
      return ByteString.copyFrom(Base64.getDecoder().decode(text));
    } catch (IllegalArgumentException e) {
      try {
        return ByteString.copyFrom(Base64.getUrlDecoder().decode(text));
      } catch (IllegalArgumentException e2) {
        throw NotFast.INSTANCE;
      }
    }
  }

  private static Duration duration(String text) throws NotFast {
    try {
      return Durations.parse(text);
    } catch (ParseException | RuntimeException e) {
      throw NotFast.INSTANCE;
    }
  }

  /**
   * Parses an RFC 3339 timestamp. The canonical shape {@code
   * yyyy-MM-ddTHH:mm:ss[.f{1,9}](Z|±HH:MM)} is decoded here directly; any other text goes to {@code
   * Timestamps.parse}, whose SimpleDateFormat-based parser JsonFormat uses and which accepts odd
   * shapes too (one-digit fields, text after the seconds).
   */
  static Timestamp timestamp(String text) throws NotFast {
    Timestamp fast = canonicalTimestamp(text);
    if (fast != null) {
      return fast;
    }
    try {
      return Timestamps.parse(text);
    } catch (ParseException | RuntimeException e) {
      throw NotFast.INSTANCE;
    }
  }

  private static Timestamp canonicalTimestamp(String s) {
    int n = s.length();
    if (n < 20
        || s.charAt(4) != '-'
        || s.charAt(7) != '-'
        || s.charAt(10) != 'T'
        || s.charAt(13) != ':'
        || s.charAt(16) != ':') {
      return null;
    }
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 2);
    int day = digits(s, 8, 2);
    int hour = digits(s, 11, 2);
    int minute = digits(s, 14, 2);
    int second = digits(s, 17, 2);
    if (year < 1 || month < 0 || day < 0 || hour < 0 || hour > 23 || minute < 0 || minute > 59) {
      return null;
    }
    if (second < 0 || second > 59) {
      return null;
    }
    int i = 19;
    int nanos = 0;
    if (s.charAt(i) == '.') {
      int start = ++i;
      while (i < n && i - start < 9 && isDigit(s.charAt(i))) {
        nanos = nanos * 10 + (s.charAt(i) - '0');
        i++;
      }
      int count = i - start;
      if (count == 0) {
        return null;
      }
      for (int k = count; k < 9; k++) {
        nanos *= 10;
      }
    }
    if (i >= n) {
      return null;
    }
    long offsetSeconds;
    char zone = s.charAt(i);
    if (zone == 'Z' && i + 1 == n) {
      offsetSeconds = 0;
    } else if ((zone == '+' || zone == '-') && i + 6 == n && s.charAt(i + 3) == ':') {
      int offsetHours = digits(s, i + 1, 2);
      int offsetMinutes = digits(s, i + 4, 2);
      if (offsetHours < 0 || offsetMinutes < 0) {
        return null;
      }
      long offset = (offsetHours * 60L + offsetMinutes) * 60L;
      offsetSeconds = zone == '+' ? offset : -offset;
    } else {
      return null;
    }
    long epochDay;
    try {
      epochDay = LocalDate.of(year, month, day).toEpochDay();
    } catch (DateTimeException e) {
      return null; // let Timestamps.parse produce its own verdict
    }
    long seconds = epochDay * 86_400L + hour * 3_600L + minute * 60L + second - offsetSeconds;
    Timestamp ts = Timestamp.newBuilder().setSeconds(seconds).setNanos(nanos).build();
    return Timestamps.isValid(ts) ? ts : null;
  }

  /** Returns the value of {@code count} ASCII digits at {@code start}, or -1 if any is not one. */
  private static int digits(String s, int start, int count) {
    int value = 0;
    for (int i = start; i < start + count; i++) {
      char c = s.charAt(i);
      if (!isDigit(c)) {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /**
   * Prints an event as compact proto3 JSON, exactly as {@code
   * JsonFormat.printer().omittingInsignificantWhitespace()} does.
   *
   * @throws IllegalArgumentException if a timestamp or duration is outside protobuf's valid range
   */
  public static String print(EventOrBuilder event) {
    if (event.hasEnrichment()) {
      // Only ingest's output carries it, never a hot path of ours: JsonFormat prints it exactly.
      try {
        return JsonFormat.printer().omittingInsignificantWhitespace().print(event);
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalArgumentException(e.getMessage(), e);
      }
    }
    StringBuilder out = new StringBuilder(256);
    out.append('{');
    boolean first = true;
    if (!event.getId().isEmpty()) {
      first = name(out, "id", first);
      string(out, event.getId());
    }
    if (!event.getType().isEmpty()) {
      first = name(out, "type", first);
      string(out, event.getType());
    }
    if (!event.getSource().isEmpty()) {
      first = name(out, "source", first);
      string(out, event.getSource());
    }
    if (event.hasCustomer()) {
      first = name(out, "customer", first);
      string(out, event.getCustomer().getValue());
    }
    if (event.hasTimestamp()) {
      first = name(out, "timestamp", first);
      out.append('"').append(Rfc3339.format(event.getTimestamp())).append('"');
    }
    if (event.getAttributesCount() > 0) {
      name(out, "attributes", first);
      out.append('{');
      boolean firstAttribute = true;
      for (Map.Entry<String, AttributeValue> entry : event.getAttributesMap().entrySet()) {
        if (!firstAttribute) {
          out.append(',');
        }
        firstAttribute = false;
        string(out, entry.getKey());
        out.append(':');
        attributeValue(out, entry.getValue());
      }
      out.append('}');
    }
    return out.append('}').toString();
  }

  /** Prints an event as compact proto3 JSON in UTF-8. */
  public static byte[] printBytes(EventOrBuilder event) {
    return print(event).getBytes(StandardCharsets.UTF_8);
  }

  private static void attributeValue(StringBuilder out, AttributeValue value) {
    switch (value.getValueCase()) {
      case BOOL_VALUE -> out.append("{\"boolValue\":").append(value.getBoolValue());
      case INT_VALUE -> out.append("{\"intValue\":\"").append(value.getIntValue()).append('"');
      case FLOAT_VALUE -> {
        out.append("{\"floatValue\":");
        double d = value.getFloatValue();
        if (Double.isNaN(d)) {
          out.append("\"NaN\"");
        } else if (Double.isInfinite(d)) {
          out.append(d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        } else {
          out.append(d);
        }
      }
      case STRING_VALUE -> {
        out.append("{\"stringValue\":");
        string(out, value.getStringValue());
      }
      case BYTES_VALUE ->
          out.append("{\"bytesValue\":\"")
              .append(Base64.getEncoder().encodeToString(value.getBytesValue().toByteArray()))
              .append('"');
      case TIMESTAMP_VALUE ->
          out.append("{\"timestampValue\":\"")
              .append(Rfc3339.format(value.getTimestampValue()))
              .append('"');
      case DURATION_VALUE ->
          out.append("{\"durationValue\":\"")
              .append(Durations.toString(value.getDurationValue()))
              .append('"');
      case VALUE_NOT_SET -> out.append('{');
    }
    out.append('}');
  }

  private static boolean name(StringBuilder out, String name, boolean first) {
    if (!first) {
      out.append(',');
    }
    out.append('"').append(name).append("\":");
    return false;
  }

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /** Writes a JSON string with Gson's HTML-safe escaping, which JsonFormat's printer uses. */
  private static void string(StringBuilder out, String s) {
    out.append('"');
    int n = s.length();
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\f' -> out.append("\\f");
        case '<', '>', '&', '=', '\'', '\u2028', '\u2029' -> unicodeEscape(out, c);
        default -> {
          if (c < 0x20) {
            unicodeEscape(out, c);
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  private static void unicodeEscape(StringBuilder out, char c) {
    out.append("\\u")
        .append(HEX[(c >> 12) & 0xF])
        .append(HEX[(c >> 8) & 0xF])
        .append(HEX[(c >> 4) & 0xF])
        .append(HEX[c & 0xF]);
  }
}

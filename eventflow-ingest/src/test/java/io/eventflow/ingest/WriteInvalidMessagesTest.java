package io.eventflow.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.api.services.bigquery.model.TableRow;
import com.google.protobuf.ByteString;
import io.eventflow.common.pb.InvalidReason;
import io.eventflow.ingest.pb.InvalidMessage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryStorageApiInsertError;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What is logged when the invalid-messages table itself rejects a row. */
class WriteInvalidMessagesTest {
  private final Logger logger = Logger.getLogger(WriteInvalidMessages.class.getName());
  private final List<String> logged = new CopyOnWriteArrayList<>();
  private final Handler capture =
      new Handler() {
        private final SimpleFormatter format = new SimpleFormatter();

        @Override
        public void publish(LogRecord record) {
          logged.add(record.getLevel() + " " + format.formatMessage(record));
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @BeforeEach
  void captureLog() {
    logger.addHandler(capture);
    logger.setLevel(Level.ALL);
  }

  @AfterEach
  void releaseLog() {
    logger.removeHandler(capture);
    logger.setLevel(null);
  }

  /**
   * A rejected row carries the customer's payload, attributes and event; the log names the message
   * id, the reason code and BigQuery's error, and none of the customer's data.
   */
  @Test
  void rejectedRowIsLoggedByIdAndReasonWithoutCustomerData() {
    TableRow row =
        TableRows.invalidMessageRow(
            InvalidMessage.newBuilder()
                .setMessageId("m-42")
                .putAttributes("email", "jane@example.com")
                .setPayload(ByteString.copyFrom("card 4111-1111", StandardCharsets.UTF_8))
                .setReason(InvalidReason.MALFORMED_JSON)
                .setMessage("payload is not a JSON event: card 4111-1111")
                .setRejectedRow("{\"customer\":\"jane@example.com\"}")
                .build());

    new WriteInvalidMessages.LogRejectedFn()
        .processElement(new BigQueryStorageApiInsertError(row, "field payload: too long"));

    assertThat(logged).hasSize(1);
    assertThat(logged.get(0))
        .startsWith("SEVERE ")
        .contains("m-42", "MALFORMED_JSON", "field payload: too long")
        .doesNotContain("jane@example.com", "4111", "Y2FyZCA0MTEx");
  }

  /** BigQuery's error text is cut, so a long one cannot carry a whole row into the log. */
  @Test
  void longErrorMessagesAreCut() {
    TableRow row = new TableRow().set("message_id", "m-1").set("reason", "MISSING_ID");

    new WriteInvalidMessages.LogRejectedFn()
        .processElement(new BigQueryStorageApiInsertError(row, "x".repeat(10_000)));

    assertThat(logged.get(0))
        .hasSizeLessThan(WriteInvalidMessages.LogRejectedFn.MAX_ERROR_CHARS + 200);
  }
}

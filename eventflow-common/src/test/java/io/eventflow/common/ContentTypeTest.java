package io.eventflow.common;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ContentTypeTest {
  @Test
  void readsItsOwnValuesIgnoringCaseAndParameters() {
    assertThat(ContentType.fromMimeType("application/json")).contains(ContentType.JSON);
    assertThat(ContentType.fromMimeType("Application/JSON; charset=utf-8"))
        .contains(ContentType.JSON);
    assertThat(ContentType.fromMimeType(ContentType.PROTOBUF.mimeType()))
        .contains(ContentType.PROTOBUF);
    assertThat(ContentType.fromMimeType("application/x-protobuf")).contains(ContentType.PROTOBUF);
  }

  @Test
  void unknownContentTypes() {
    assertThat(ContentType.fromMimeType("text/csv")).isEmpty();
    assertThat(ContentType.fromMimeType("")).isEmpty();
  }
}

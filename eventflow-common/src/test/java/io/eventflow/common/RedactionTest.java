package io.eventflow.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

class RedactionTest {
  @Test
  void userInfoOfAUrlIsMasked() {
    assertThat(Redaction.redact(URI.create("redis://u:p@h:1/0"))).isEqualTo("redis://***@h:1/0");
    assertThat(Redaction.redact(URI.create("redis://h:1"))).isEqualTo("redis://h:1");
    assertThat(Redaction.redactUrlText("tcp://device:s3cret@mqtt.example.com:1883"))
        .isEqualTo("tcp://***@mqtt.example.com:1883");
  }

  @Test
  void textThatIsNoUriIsMaskedToo() {
    // The text a URI parser rejects is exactly the text an error message would echo.
    assertThat(Redaction.redactUrlText("redis://u:s3cret@h:63 79"))
        .isEqualTo("redis://***@h:63 79");
    assertThat(Redaction.redactUrlText("redis://u:s3 cret@[h")).isEqualTo("redis://***@[h");
  }

  @Test
  void jdbcCredentialsAreMasked() {
    assertThat(Redaction.redactStore("jdbc:h2:tcp://h/db;user=sa;password=x;AUTO_SERVER=TRUE"))
        .isEqualTo("jdbc:h2:tcp://h/db;user=***;password=***;AUTO_SERVER=TRUE");
  }
}

package io.eventflow.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.eventflow.common.pb.Entity;
import org.junit.jupiter.api.Test;

/** The entity line format and the rules an entity must follow before it is stored. */
class EntitiesTest {
  @Test
  void theDocumentedLineParsesAndPrintsBack() {
    String line =
        "{\"kind\":\"customer\",\"key\":\"acme\",\"attributes\":{\"plan\":{\"stringValue\":\"gold\"}}}";

    Entity entity = Entities.parse(line);

    assertThat(entity.getKind()).isEqualTo("customer");
    assertThat(entity.getKey()).isEqualTo("acme");
    assertThat(entity.getAttributesMap()).containsEntry("plan", AttributeValues.of("gold"));
    assertThat(Entities.parse(Entities.print(entity))).isEqualTo(entity);
  }

  @Test
  void brokenLinesNameTheirProblem() {
    assertThatThrownBy(() -> Entities.parse("{\"kind\":\"customer\""))
        .hasMessageStartingWith("not an entity in proto3 JSON");
    assertThatThrownBy(() -> Entities.parse("{\"kind\":\"customer\",\"key\":\"a\",\"colour\":1}"))
        .hasMessageStartingWith("not an entity in proto3 JSON");
    assertThatThrownBy(() -> Entities.parse("{\"kind\":\"Customer\",\"key\":\"a\"}"))
        .hasMessageStartingWith("kind \"Customer\"");
    assertThatThrownBy(() -> Entities.parse("{\"kind\":\"customer\",\"key\":\" \"}"))
        .hasMessage("key is empty or blank");
    assertThatThrownBy(
            () ->
                Entities.parse(
                    "{\"kind\":\"customer\",\"key\":\"a\",\"attributes\":{\"a.b\":{\"intValue\":1}}}"))
        .hasMessageStartingWith("attribute name \"a.b\"");
    assertThatThrownBy(
            () -> Entities.parse("{\"kind\":\"customer\",\"key\":\"a\",\"attributes\":{\"p\":{}}}"))
        .hasMessage("attribute \"p\" has no value");
    assertThatThrownBy(() -> Entities.checkKey("k".repeat(Entities.MAX_KEY_LENGTH + 1)))
        .hasMessageStartingWith("key longer than 1024");
  }
}

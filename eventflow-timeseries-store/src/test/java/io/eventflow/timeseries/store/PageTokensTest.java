package io.eventflow.timeseries.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** Page tokens continue exactly the listing that issued them. */
class PageTokensTest {
  @Test
  void tokensRoundTrip() {
    RandomStrings strings = new RandomStrings(3);
    for (int i = 0; i < 10_000; i++) {
      String prefix = strings.next();
      String lastName = prefix + "x" + strings.next();
      assertThat(PageTokens.decode(prefix, PageTokens.encode(prefix, lastName)))
          .isEqualTo(lastName);
    }
  }

  @Test
  void emptyTokenStartsAtTheBeginning() {
    assertThat(PageTokens.decode("a.", "")).isEmpty();
  }

  @Test
  void tokenOfAnotherPrefixIsRejected() {
    String token = PageTokens.encode("purchase.", "purchase.count");
    assertThatThrownBy(() -> PageTokens.decode("refund.", token))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("purchase.");
  }

  @Test
  void garbageTokensAreRejected() {
    String plainBase64OfName =
        Base64.getUrlEncoder().encodeToString("purchase.count".getBytes(StandardCharsets.UTF_8));
    for (String token : new String[] {"!!!", "AA", plainBase64OfName, "AQAAAAA"}) {
      assertThatThrownBy(() -> PageTokens.decode("", token))
          .as(token)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("not issued by this store");
    }
  }
}

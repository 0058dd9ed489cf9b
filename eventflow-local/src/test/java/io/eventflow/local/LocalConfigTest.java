package io.eventflow.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import org.junit.jupiter.api.Test;

class LocalConfigTest {
  @Test
  void textOfAConfigWithRedisHidesItsPassword() {
    LocalConfig config = LocalConfig.defaults().withRedis(URI.create("redis://u:s3cret@h:6380/1"));

    // Before, the record's own text printed the URL whole.
    assertThat(config.toString())
        .contains("redisUrl=redis://***@h:6380/1")
        .doesNotContain("s3cret");
    assertThat(config.redisUrl()).contains(URI.create("redis://u:s3cret@h:6380/1"));
  }

  @Test
  void aUrlThatIsNoRedisUrlIsRefusedWithItsPasswordMasked() {
    assertThatThrownBy(() -> LocalConfig.defaults().withRedis(URI.create("http://u:s3cret@h:6379")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Redis URL: \"http://***@h:6379\" is not a redis://host:port URL");
  }
}

package io.eventflow.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What every eventflow image shares, from the root pom's jib-maven-plugin configuration, stated
 * once for the modules' {@code ContainerImageIT}s: the entrypoint {@code java <container flags>
 * -cp @/app/jib-classpath-file MAIN}, the unprivileged user, the labels, the platform, and the
 * offline build's name and {@code scratch} base.
 */
public final class ImageConventions {
  /** The JVM flags every image starts with: heap from the container's limit, exit when out. */
  public static final List<String> JVM_FLAGS =
      List.of("-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError");

  /** The unprivileged uid:gid every image runs as (the base's {@code ubuntu} user). */
  public static final String USER = "1000:1000";

  private ImageConventions() {}

  /**
   * Asserts that the offline image of module {@code artifactId} follows the conventions, runs
   * {@code mainClass} after the common flags and {@code extraJvmFlags}, and exposes exactly {@code
   * ports} (e.g. {@code 8080/tcp}).
   */
  public static void assertOfflineImage(
      ImageTarball image,
      String artifactId,
      String mainClass,
      List<String> extraJvmFlags,
      String... ports) {
    List<String> entrypoint = new ArrayList<>(List.of("java"));
    entrypoint.addAll(JVM_FLAGS);
    entrypoint.addAll(extraJvmFlags);
    entrypoint.addAll(List.of("-cp", "@/app/jib-classpath-file", mainClass));
    assertEquals(entrypoint, image.entrypoint(), "entrypoint");
    assertEquals(List.of(), image.cmd(), "cmd: the container's arguments are the program's");
    assertEquals(USER, image.user(), "user");
    assertEquals(new TreeSet<>(List.of(ports)), image.exposedPorts(), "exposed ports");
    assertEquals("linux/amd64", image.platform(), "platform");
    assertEquals(artifactId, image.labels().get("org.opencontainers.image.title"), "title label");
    assertEquals("scratch", image.labels().get("org.opencontainers.image.base.name"), "base label");
    String version = image.labels().get("org.opencontainers.image.version");
    assertEquals(List.of(artifactId + ":" + version + "-offline"), image.repoTags(), "tags");
    assertEquals(Set.of(), Set.copyOf(image.environment().keySet()), "environment");
  }
}

package io.eventflow.broker;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import org.junit.jupiter.api.Test;

/**
 * {@link GrpcOrRestNegotiator} depends on grpc-java {@code @Internal} classes and on Netty's names
 * as grpc-netty-shaded relocates them; neither is a stable API. This test fails loudly when the
 * gRPC on the classpath is not the release the negotiator was reviewed for.
 */
class GrpcOrRestNegotiatorUpgradeTest {

  @Test
  void negotiatorWasReviewedForTheGrpcReleaseOnTheClasspath() {
    String onClasspath = NettyServerBuilder.class.getPackage().getImplementationVersion();

    assertThat(onClasspath)
        .as(
            "grpc-netty-shaded is now %s, but GrpcOrRestNegotiator was reviewed against %s. It uses"
                + " gRPC's @Internal negotiation hooks and shaded Netty class names, which may"
                + " change between releases: check that it still compiles and that RestApiTest"
                + " and OfficialClientTest pass (both protocols on one port), then set"
                + " GrpcOrRestNegotiator.REVIEWED_GRPC_VERSION to %s. See the broker README, 'One"
                + " port, two protocols'.",
            onClasspath, GrpcOrRestNegotiator.REVIEWED_GRPC_VERSION, onClasspath)
        .isEqualTo(GrpcOrRestNegotiator.REVIEWED_GRPC_VERSION);
  }
}

package io.ratisfailover.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProbeConfigTest {
  @TempDir
  Path dir;

  @Test
  void defaultsArePatronisPortOnLoopbackWithoutAuthOrTls() {
    ProbeConfig c = ProbeConfig.builder().build();
    assertThat(c.host()).isEqualTo("127.0.0.1");
    assertThat(c.port()).isEqualTo(8008);
    assertThat(c.auth()).isEmpty();
    assertThat(c.tls()).isEmpty();
    assertThat(c.scheme()).isEqualTo("http");
  }

  @Test
  void aSwitchoverDrainsForAThirdOfTheHoldOffUnlessHaproxyIsToldDirectly() {
    assertThat(ProbeConfig.builder().build().switchoverDrain()).isZero();
    assertThat(ProbeConfig.builder().primaryHoldOff(Duration.ofMillis(750)).build().switchoverDrain())
        .isEqualTo(Duration.ofMillis(250));
    HaproxyPush push = new HaproxyPush(List.of(HaproxyPush.RuntimeApi.parse("127.0.0.1:9999")), "primary", Map.of(),
        Duration.ofMillis(500));
    assertThat(ProbeConfig.builder().primaryHoldOff(Duration.ofMillis(750)).haproxyPush(push).build().switchoverDrain())
        .isZero();
  }

  @Test
  void impossibleValuesAreRefusedNamingTheField() {
    assertThatThrownBy(() -> ProbeConfig.builder().port(70000).build()).hasMessageContaining("probe.port");
    assertThatThrownBy(() -> ProbeConfig.builder().host(" ").build()).hasMessageContaining("probe.host");
    assertThatThrownBy(() -> ProbeConfig.builder().maxHeaderBytes(10).build()).hasMessageContaining("probe.max_header_bytes");
    assertThatThrownBy(() -> ProbeConfig.builder().requestTimeout(Duration.ZERO).build())
        .hasMessageContaining("probe.request_timeout");
    assertThatThrownBy(() -> ProbeConfig.builder().adminThreads(0).build()).hasMessageContaining("probe.admin_threads");
    assertThatThrownBy(() -> ProbeConfig.builder().auth("ad:min", "x").build()).hasMessageContaining("probe.auth.username");
    assertThatThrownBy(() -> ProbeConfig.builder().auth("admin", "").build()).hasMessageContaining("probe.auth.password");
  }

  @Test
  void tlsFilesMustExistAndClientAuthNeedsACa() throws Exception {
    Path cert = Files.writeString(dir.resolve("cert.pem"), "x");
    Path key = Files.writeString(dir.resolve("key.pem"), "x");
    assertThatThrownBy(() -> new ProbeConfig.Tls(dir.resolve("missing.pem"), key, Optional.empty(), Optional.empty(),
        ProbeConfig.ClientAuth.NONE)).hasMessageContaining("probe.tls.certificate_chain").hasMessageContaining("missing.pem");
    assertThatThrownBy(() -> new ProbeConfig.Tls(cert, key, Optional.empty(), Optional.empty(),
        ProbeConfig.ClientAuth.REQUIRE)).hasMessageContaining("probe.tls.client_ca");
    ProbeConfig.Tls tls = new ProbeConfig.Tls(cert, key, Optional.of("hunter2"), Optional.of(cert),
        ProbeConfig.ClientAuth.OPTIONAL);
    assertThat(ProbeConfig.builder().tls(tls).build().scheme()).isEqualTo("https");
  }

  @Test
  void secretsNeverShowInToString() throws Exception {
    Path cert = Files.writeString(dir.resolve("cert.pem"), "x");
    ProbeConfig c = ProbeConfig.builder().auth("admin", "s3cret-pw")
        .tls(new ProbeConfig.Tls(cert, cert, Optional.of("key-pw"), Optional.empty(), ProbeConfig.ClientAuth.NONE))
        .build();
    assertThat(c.toString()).contains("admin").doesNotContain("s3cret-pw").doesNotContain("key-pw");
  }
}

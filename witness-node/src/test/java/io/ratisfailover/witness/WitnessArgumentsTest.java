package io.ratisfailover.witness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The witness's command line, read without a CLI library: the options operators and units use. */
class WitnessArgumentsTest {
  @Test
  void readsTheConfigurationFileInBothSpellingsAndTheFlags() {
    assertThat(WitnessArguments.parse("--config", "/etc/w.yml"))
        .isEqualTo(new WitnessArguments(Path.of("/etc/w.yml"), false, false, false));
    assertThat(WitnessArguments.parse("-c=/etc/w.yml", "--check", "--rejoin"))
        .isEqualTo(new WitnessArguments(Path.of("/etc/w.yml"), true, true, false));
    assertThat(WitnessArguments.parse("--rejoin", "-c", "w.yml").rejoin()).isTrue();
  }

  @Test
  void helpNeedsNoConfiguration() {
    assertThat(WitnessArguments.parse("--help").help()).isTrue();
  }

  @Test
  void aMissingConfigurationOrAnUnknownOptionIsNamed() {
    assertThatThrownBy(WitnessArguments::parse).hasMessageContaining("--config");
    assertThatThrownBy(() -> WitnessArguments.parse("--config")).hasMessageContaining("--config");
    assertThatThrownBy(() -> WitnessArguments.parse("-c", "w.yml", "--chek")).hasMessageContaining("'--chek'");
    assertThatThrownBy(() -> WitnessArguments.parse("-c", "w.yml", "--check=yes")).hasMessageContaining("--check");
  }

  @Test
  void badArgumentsExitWithTwoAndTheUsage() {
    StringWriter err = new StringWriter();
    int exit = WitnessMain.run(new String[] {"--chek"}, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    assertThat(exit).isEqualTo(2);
    assertThat(err.toString()).startsWith("Unknown option: '--chek'").contains("Usage: ratis-failover-witness");
  }
}

package io.ratisfailover.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ByteSizeTest {
  @Test
  void plainNumbersAreBytes() {
    assertThat(ByteSize.parse("0")).isZero();
    assertThat(ByteSize.parse("1048576")).isEqualTo(1048576);
    assertThat(ByteSize.parse(" 17 ")).isEqualTo(17);
  }

  @Test
  void unitsArePowersOf1024AsInPostgresAndPatroni() {
    assertThat(ByteSize.parse("1B")).isEqualTo(1);
    assertThat(ByteSize.parse("1kB")).isEqualTo(1024);
    assertThat(ByteSize.parse("16MB")).isEqualTo(16L << 20);
    assertThat(ByteSize.parse("2GB")).isEqualTo(2L << 30);
    assertThat(ByteSize.parse("1TB")).isEqualTo(1L << 40);
    assertThat(ByteSize.parse("1mb")).isEqualTo(1L << 20);
    assertThat(ByteSize.parse("10 MB")).isEqualTo(10L << 20);
  }

  @Test
  void nonsenseAndOverflowAreRefused() {
    assertThatThrownBy(() -> ByteSize.parse("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ByteSize.parse("MB")).hasMessageContaining("not a byte size");
    assertThatThrownBy(() -> ByteSize.parse("-1")).hasMessageContaining("not a byte size");
    assertThatThrownBy(() -> ByteSize.parse("1.5MB")).hasMessageContaining("unknown unit");
    assertThatThrownBy(() -> ByteSize.parse("99999999999999999999")).hasMessageContaining("too large");
    assertThatThrownBy(() -> ByteSize.parse("9999999999TB")).hasMessageContaining("too large");
  }
}

package io.ratisfailover.sidecar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.jna.LastErrorException;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import io.ratisfailover.MemberId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The device protocol against a stand-in for the C library that behaves as the kernel's watchdog
 * driver does (this machine has no {@code /dev/watchdog} and cannot load {@code softdog}): what is
 * opened, set, written and closed, and when.
 */
class WatchdogDeviceTest {
  static final WatchdogSettings SETTINGS = new WatchdogSettings(WatchdogSettings.Mode.REQUIRED, Path.of("/dev/watchdog"),
      Duration.ofSeconds(4), Duration.ofSeconds(5), true);

  /** A watchdog driver: the calls it saw, as text; a device is "running" between open and close. */
  static final class FakeDriver implements WatchdogDevice.LibC {
    final List<String> calls = new ArrayList<>();
    int options = 0x0080 | 0x0100;
    /** What the driver makes of a requested timeout (some round it to what the hardware can do). */
    int timeoutAdjustment;
    int timeout = 60;
    boolean open;

    @Override public int open(String path, int flags) {
      calls.add("open " + path);
      open = true;
      return 7;
    }

    @Override public int ioctl(int fd, NativeLong request, Pointer argument) {
      switch ((int) request.longValue()) {
        case 0x80285700 -> argument.setInt(0, options);
        case 0xC0045706 -> {
          timeout = argument.getInt(0) + timeoutAdjustment;
          calls.add("set timeout " + argument.getInt(0));
        }
        case 0x80045707 -> argument.setInt(0, timeout);
        default -> throw new LastErrorException(25);
      }
      return 0;
    }

    @Override public NativeLong write(int fd, byte[] buffer, NativeLong count) {
      calls.add("write " + new String(buffer, StandardCharsets.US_ASCII));
      return count;
    }

    @Override public int close(int fd) {
      calls.add("close");
      open = false;
      return 0;
    }
  }

  @Test
  void theProbeSetsTheTimeoutAndDisarmsAgain() throws IOException {
    FakeDriver driver = new FakeDriver();
    WatchdogDevice.probe(MemberId.of("pg1"), SETTINGS, driver);
    assertThat(driver.calls).containsExactly("open /dev/watchdog", "set timeout 5", "write V", "close");
    assertThat(driver.open).isFalse();
  }

  @Test
  void armedItKeepsAliveOnlyWhileTheResetStaysInsideTheLease() throws IOException {
    FakeDriver driver = new FakeDriver();
    WatchdogDevice device = WatchdogDevice.probe(MemberId.of("pg1"), SETTINGS, driver);
    driver.calls.clear();
    device.arm(Duration.ofMillis(8900));
    device.keepAlive(Duration.ofMillis(8700));
    // A late answer: a reset 5 s from now would come after the lease's end, 4.9 s from now.
    device.keepAlive(Duration.ofMillis(4900));
    device.disarm();
    assertThat(driver.calls).containsExactly("open /dev/watchdog", "set timeout 5", "write 1", "write 1", "write V", "close");
    // Disarmed, nothing reaches the device.
    device.keepAlive(Duration.ofMillis(8900));
    device.disarm();
    assertThat(driver.calls).hasSize(6);
  }

  @Test
  void aDeviceThatCannotBeDisarmedOrRefusesTheTimeoutIsNamedAndLeftDisarmed() {
    FakeDriver noMagicClose = new FakeDriver();
    noMagicClose.options = 0x0080;
    assertThatThrownBy(() -> WatchdogDevice.probe(MemberId.of("pg1"), SETTINGS, noMagicClose))
        .hasMessage("watchdog: /dev/watchdog does not support magic close (it could not be disarmed)");
    FakeDriver rounds = new FakeDriver();
    rounds.timeoutAdjustment = 3;
    assertThatThrownBy(() -> WatchdogDevice.probe(MemberId.of("pg1"), SETTINGS, rounds))
        .hasMessage("watchdog: /dev/watchdog refused a timeout of 5 s (it set 8 s)");
    assertThat(rounds.calls).endsWith("write V", "close");
  }
}

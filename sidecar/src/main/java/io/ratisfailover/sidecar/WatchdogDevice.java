package io.ratisfailover.sidecar;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import io.ratisfailover.MemberId;
import io.ratisfailover.spi.Watchdog;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Linux watchdog device ({@code /dev/watchdog}, e.g. the kernel's {@code softdog}) as a
 * {@link Watchdog}: the host resets when the agent stops writing keep-alives while primary.
 *
 * <p>Opening the device starts its timer, so it is opened on arm and closed with the magic
 * character {@code V} on disarm (drivers that announce magic close stop the timer then). The timeout
 * is set with the {@code WDIOC_SETTIMEOUT} ioctl through JNA and read back. A keep-alive is written
 * only while the reset it schedules stays inside the lease ({@link WatchdogSettings#allowsKeepAlive}).
 */
final class WatchdogDevice implements Watchdog {
  private static final Logger log = LoggerFactory.getLogger(WatchdogDevice.class);

  // <linux/watchdog.h>: _IOR('W', 0, struct watchdog_info), _IOWR('W', 6, int), _IOR('W', 7, int)
  private static final long WDIOC_GETSUPPORT = 0x80285700L;
  private static final long WDIOC_SETTIMEOUT = 0xC0045706L;
  private static final long WDIOC_GETTIMEOUT = 0x80045707L;
  private static final int WDIOF_SETTIMEOUT = 0x0080;
  private static final int WDIOF_MAGICCLOSE = 0x0100;
  private static final int WATCHDOG_INFO_SIZE = 40;
  private static final int O_WRONLY = 1;
  private static final int O_CLOEXEC = 0x80000;

  /** The C library calls the device needs; errno comes back as {@link LastErrorException}. */
  interface LibC extends Library {
    int open(String path, int flags) throws LastErrorException;

    int ioctl(int fd, NativeLong request, Pointer argument) throws LastErrorException;

    NativeLong write(int fd, byte[] buffer, NativeLong count) throws LastErrorException;

    int close(int fd) throws LastErrorException;
  }

  private final MemberId member;
  private final WatchdogSettings settings;
  private final LibC libc;
  private int fd = -1;

  private WatchdogDevice(MemberId member, WatchdogSettings settings, LibC libc) {
    this.member = member;
    this.settings = settings;
    this.libc = libc;
  }

  /**
   * Checks that the device exists, can be disarmed (magic close) and takes the timeout, then closes it
   * again with the magic character.
   *
   * @throws IOException with a one-line message naming the device and what it refused
   */
  static WatchdogDevice probe(MemberId member, WatchdogSettings settings) throws IOException {
    LibC libc;
    try {
      libc = Native.load("c", LibC.class);
    } catch (UnsatisfiedLinkError e) {
      throw new IOException("watchdog: cannot load the C library through JNA: " + e.getMessage(), e);
    }
    return probe(member, settings, libc);
  }

  /** {@link #probe(MemberId, WatchdogSettings)} through {@code libc} (a test's stand-in for a device). */
  static WatchdogDevice probe(MemberId member, WatchdogSettings settings, LibC libc) throws IOException {
    WatchdogDevice device = new WatchdogDevice(member, settings, libc);
    device.open();
    device.close();
    return device;
  }

  @Override
  public synchronized void arm(Duration remaining) throws IOException {
    if (fd < 0) {
      open();
      log.info("member {}: watchdog {} armed: the host resets {} s after the last keep-alive", member,
          settings.device(), settings.deviceTimeout().toSeconds());
    }
    keepAlive(remaining);
  }

  @Override
  public synchronized void keepAlive(Duration remaining) throws IOException {
    if (fd < 0) {
      return;
    }
    if (!settings.allowsKeepAlive(remaining)) {
      // The reset would come after the lease ends: let the earlier, shorter deadline stand.
      log.warn("member {}: watchdog keep-alive skipped: {} ms of lease left, less than the device timeout {} s "
          + "(the renewal's answer came late)", member, remaining.toMillis(), settings.deviceTimeout().toSeconds());
      return;
    }
    write(new byte[] {'1'}, "keep-alive");
  }

  @Override
  public synchronized void disarm() throws IOException {
    if (fd < 0) {
      return;
    }
    try {
      write(new byte[] {'V'}, "magic close");
    } finally {
      closeDevice();
    }
    log.info("member {}: watchdog {} disarmed", member, settings.device());
  }

  /** Opens the device (its timer starts), checks it can be disarmed and sets the timeout. */
  private void open() throws IOException {
    Path device = settings.device();
    try {
      fd = libc.open(device.toString(), O_WRONLY | O_CLOEXEC);
    } catch (LastErrorException e) {
      throw new IOException("watchdog: cannot open " + device + ": " + e.getMessage(), e);
    }
    try {
      Memory info = new Memory(WATCHDOG_INFO_SIZE);
      info.clear();
      ioctl(WDIOC_GETSUPPORT, info, "WDIOC_GETSUPPORT");
      int options = info.getInt(0);
      if ((options & WDIOF_MAGICCLOSE) == 0 || (options & WDIOF_SETTIMEOUT) == 0) {
        throw new IOException("watchdog: " + device + " does not support " + ((options & WDIOF_MAGICCLOSE) == 0
            ? "magic close (it could not be disarmed)" : "setting a timeout"));
      }
      int wanted = (int) settings.deviceTimeout().toSeconds();
      IntByReference timeout = new IntByReference(wanted);
      ioctl(WDIOC_SETTIMEOUT, timeout.getPointer(), "WDIOC_SETTIMEOUT " + wanted + " s");
      IntByReference actual = new IntByReference();
      ioctl(WDIOC_GETTIMEOUT, actual.getPointer(), "WDIOC_GETTIMEOUT");
      if (actual.getValue() != wanted) {
        throw new IOException("watchdog: " + device + " refused a timeout of " + wanted + " s (it set "
            + actual.getValue() + " s)");
      }
    } catch (IOException e) {
      disarmQuietly();
      throw e;
    }
  }

  private void ioctl(long request, Pointer argument, String what) throws IOException {
    try {
      libc.ioctl(fd, new NativeLong(request), argument);
    } catch (LastErrorException e) {
      throw new IOException("watchdog: " + settings.device() + " refused " + what + ": " + e.getMessage(), e);
    }
  }

  private void write(byte[] bytes, String what) throws IOException {
    try {
      libc.write(fd, bytes, new NativeLong(bytes.length));
    } catch (LastErrorException e) {
      throw new IOException("watchdog: " + what + " to " + settings.device() + " failed: " + e.getMessage(), e);
    }
  }

  private void disarmQuietly() {
    try {
      write(new byte[] {'V'}, "magic close");
    } catch (IOException e) {
      // closing is all that is left to do
    }
    closeDevice();
  }

  private void closeDevice() {
    try {
      libc.close(fd);
    } catch (LastErrorException e) {
      log.warn("member {}: closing {} failed: {}", member, settings.device(), e.getMessage());
    } finally {
      fd = -1;
    }
  }

  @Override
  public String toString() {
    return "watchdog device " + settings.device();
  }
}

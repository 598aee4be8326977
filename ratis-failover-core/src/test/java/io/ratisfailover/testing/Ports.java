package io.ratisfailover.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/** Free loopback ports for tests. */
public final class Ports {
  private Ports() {}

  /** {@code count} distinct ports that were free a moment ago on 127.0.0.1. */
  public static int[] free(int count) {
    Set<Integer> seen = new HashSet<>();
    int[] ports = new int[count];
    for (int i = 0; i < count; ) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        s.setReuseAddress(true);
        if (seen.add(s.getLocalPort())) {
          ports[i++] = s.getLocalPort();
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return ports;
  }
}

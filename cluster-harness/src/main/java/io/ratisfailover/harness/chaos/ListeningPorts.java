package io.ratisfailover.harness.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The TCP ports something listens on in this network namespace, from {@code /proc/net/tcp} and
 * {@code tcp6} (any address: a member's namespace holds one address). Where the kernel does not
 * say, every port counts as listening.
 */
record ListeningPorts(Set<Integer> ports, boolean known) {
  private static final List<Path> TABLES = List.of(Path.of("/proc/net/tcp"), Path.of("/proc/net/tcp6"));
  /** The {@code st} column's value for a listening socket. */
  private static final String LISTEN = "0A";

  static ListeningPorts read() {
    Set<Integer> ports = new HashSet<>();
    boolean known = false;
    for (Path table : TABLES) {
      try {
        for (String line : Files.readAllLines(table)) {
          // sl local_address rem_address st ...; local_address is HEXADDR:HEXPORT
          String[] f = line.strip().split("\\s+");
          if (f.length > 3 && f[3].equals(LISTEN)) {
            ports.add(Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1), 16));
          }
        }
        known = true;
      } catch (IOException | RuntimeException e) {
        // no such table here (another kernel, or IPv6 off): the other one, or nothing, tells
      }
    }
    return new ListeningPorts(ports, known);
  }

  boolean has(int port) {
    return !known || ports.contains(port);
  }
}

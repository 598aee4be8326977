package io.ratisfailover.postgres.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code postmaster.pid}: the postmaster's PID on its first line and, from PostgreSQL 10, its
 * status on the eighth ({@code starting}, {@code stopping}, {@code ready}, {@code standby}) —
 * what {@code pg_ctl} itself waits on. A postmaster killed with SIGKILL leaves the file behind.
 */
public record PidFile(long pid, String status, long startedAtEpochSecond) {
  public static final String FILE = "postmaster.pid";

  /** Accepting connections as a primary. */
  public boolean ready() {
    return status.equals("ready");
  }

  /** Accepting read-only connections in recovery. */
  public boolean standby() {
    return status.equals("standby");
  }

  public boolean stopping() {
    return status.equals("stopping");
  }

  public static Optional<PidFile> read(Path dataDirectory) {
    String text;
    try {
      text = Files.readString(dataDirectory.resolve(FILE), StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
    return parse(text);
  }

  static Optional<PidFile> parse(String text) {
    String[] lines = text.split("\n", -1);
    if (lines.length == 0 || lines[0].isBlank()) {
      return Optional.empty();
    }
    long pid;
    try {
      pid = Long.parseLong(lines[0].strip());
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    // A negative PID marks a single-user server (pg_rewind's crash recovery, for one).
    String status = lines.length > 7 ? lines[7].strip() : "";
    long started = 0;
    try {
      started = lines.length > 2 ? Long.parseLong(lines[2].strip()) : 0;
    } catch (NumberFormatException e) {
      // written in two steps by the postmaster; the start time may not be there yet
    }
    return Optional.of(new PidFile(Math.abs(pid), status, started));
  }
}

package io.ratisfailover.postgres.internal;

import io.ratisfailover.Lsn;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The parts of {@code pg_controldata}'s output the adapter decides with (run with {@code LC_ALL=C},
 * so the labels are the English ones).
 *
 * @param clusterState {@code Database cluster state}, for example {@code shut down}, {@code in production}
 * @param systemIdentifier {@code Database system identifier}
 * @param checkpoint {@code Latest checkpoint location}
 * @param checkpointTimeline {@code Latest checkpoint's TimeLineID}
 * @param minRecoveryPoint {@code Minimum recovery ending location}
 * @param minRecoveryTimeline {@code Min recovery ending loc's timeline}
 * @param dataChecksums whether data page checksums are on
 * @param walLogHints the {@code wal_log_hints setting}
 */
public record ControlData(String clusterState, String systemIdentifier, Lsn checkpoint, long checkpointTimeline,
    Lsn minRecoveryPoint, long minRecoveryTimeline, boolean dataChecksums, boolean walLogHints) {

  /** Where the data directory stands, as far as deciding about a rewind goes. */
  public enum Shutdown {
    /** Shut down cleanly while a primary: its WAL ends with the shutdown checkpoint. */
    CLEAN_PRIMARY,
    /** Shut down (cleanly or not) while a standby: nothing past the minimum recovery point was applied. */
    STANDBY,
    /** Stopped while a primary without a clean shutdown: where its WAL ends is not known until recovery. */
    CRASHED_PRIMARY
  }

  public static ControlData parse(String output) {
    Map<String, String> fields = new HashMap<>();
    for (String line : output.split("\n")) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        fields.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
      }
    }
    String state = require(fields, "Database cluster state");
    return new ControlData(state, require(fields, "Database system identifier"),
        Lsn.parse(require(fields, "Latest checkpoint location")),
        Long.parseLong(require(fields, "Latest checkpoint's TimeLineID")),
        Lsn.parse(fields.getOrDefault("Minimum recovery ending location", "0/0")),
        Long.parseLong(fields.getOrDefault("Min recovery ending loc's timeline", "0")),
        !fields.getOrDefault("Data page checksum version", "0").equals("0"),
        fields.getOrDefault("wal_log_hints setting", "off").equals("on"));
  }

  public Shutdown shutdown() {
    if (clusterState.equals("shut down in recovery") || clusterState.equals("in archive recovery")) {
      // A standby that never got past its start checkpoint has no minimum recovery point: like a
      // cleanly stopped primary, its WAL ends with that checkpoint.
      return minRecoveryTimeline > 0 && !minRecoveryPoint.equals(Lsn.ZERO) ? Shutdown.STANDBY : Shutdown.CLEAN_PRIMARY;
    }
    return clusterState.equals("shut down") ? Shutdown.CLEAN_PRIMARY : Shutdown.CRASHED_PRIMARY;
  }

  /** How far this data directory's history goes, on which timeline, when known without recovery. */
  public Optional<Lsn> knownPosition() {
    switch (shutdown()) {
      case STANDBY:
        return Optional.of(minRecoveryPoint);
      case CLEAN_PRIMARY:
        return Optional.of(checkpoint);
      case CRASHED_PRIMARY:
      default:
        return Optional.empty();
    }
  }

  public long positionTimeline() {
    return shutdown() == Shutdown.STANDBY ? minRecoveryTimeline : checkpointTimeline;
  }

  /** {@code pg_rewind} can work on this data directory. */
  public boolean rewindable() {
    return dataChecksums || walLogHints;
  }

  private static String require(Map<String, String> fields, String name) {
    String v = fields.get(name);
    if (v == null) {
      throw new IllegalArgumentException("pg_controldata printed no '" + name + "'");
    }
    return v;
  }
}

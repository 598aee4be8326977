package io.ratisfailover.postgres;

import static io.ratisfailover.postgres.AdapterContext.log;
import static io.ratisfailover.postgres.AdapterContext.readQuietly;

import io.ratisfailover.postgres.AdapterContext.Environment;
import io.ratisfailover.postgres.internal.ServerFiles;
import io.ratisfailover.postgres.internal.TimelineHistory;
import io.ratisfailover.postgres.internal.UpstreamServer;
import io.ratisfailover.spi.DatabaseException;
import java.io.IOException;
import java.util.Optional;

/**
 * Timeline histories, this data directory's and an upstream's: reading them for the rewind
 * decision, checking that both belong to one cluster, and copying the upstream's into
 * {@code pg_wal} so that recovery follows the upstream's timeline from its first record.
 */
final class Histories {
  private final AdapterContext ctx;

  Histories(AdapterContext ctx) {
    this.ctx = ctx;
  }

  /** Copies the history of {@code up}'s current timeline into {@code pg_wal}, if it has one. */
  void writeHistory(Environment env, UpstreamServer up) throws DatabaseException {
    UpstreamServer.Identity theirs = up.identify();
    history(up, theirs.timeline()).ifPresent(h -> writeHistoryFile(env, h.timeline(), up));
  }

  /**
   * Puts the upstream's timeline history into {@code pg_wal} before the standby starts, so that
   * recovery targets the upstream's timeline from its first record and switches at the branch
   * point, instead of first replaying WAL it received from the old primary past that point.
   */
  void writeHistoryFile(Environment env, long timeline, UpstreamServer up) {
    try {
      Optional<String> content = up.history(timeline);
      if (content.isPresent()) {
        env.files().write("pg_wal/" + TimelineHistory.fileName(timeline), content.get());
      }
    } catch (DatabaseException | IOException e) {
      log.warn("member {} epoch {}: could not copy the history of timeline {} from {}: {}", ctx.self, ctx.epoch(), timeline,
          up.describe(), e.getMessage());
    }
  }

  /** This data directory's own history of {@code timeline}, as its {@code pg_wal} holds it. */
  static Optional<TimelineHistory> localHistory(ServerFiles files, long timeline) {
    if (timeline <= 1) {
      return Optional.empty();
    }
    try {
      return readQuietly(files, "pg_wal/" + TimelineHistory.fileName(timeline)).map(t -> TimelineHistory.parse(timeline, t));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** {@code up}'s history of {@code timeline}; empty for timeline 1. */
  Optional<TimelineHistory> history(UpstreamServer up, long timeline) throws DatabaseException {
    Optional<String> text = up.history(timeline);
    try {
      return text.map(t -> TimelineHistory.parse(timeline, t));
    } catch (IllegalArgumentException e) {
      throw new DatabaseException(DatabaseException.Kind.FATAL, "history of timeline " + timeline + " on "
          + up.describe() + " cannot be read: " + e.getMessage(), e);
    }
  }

  /** Refuses to follow an upstream of another cluster before anything is changed. */
  void requireSameSystem(String mine, UpstreamServer up, UpstreamServer.Identity theirs) throws DatabaseException {
    if (!mine.equals(theirs.systemIdentifier())) {
      throw new DatabaseException(DatabaseException.Kind.DATA_MISMATCH, "data directory " + ctx.config.dataDirectory()
          + " belongs to another cluster: its system identifier is " + mine + " but upstream " + up.describe()
          + " has " + theirs.systemIdentifier() + ". Nothing was changed; move the directory away (or reinitialize"
          + " this member, which needs allowDataDirectoryRemoval)");
    }
  }
}

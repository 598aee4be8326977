package io.ratisfailover.spi;

import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One observation of the local database, as {@link DatabaseAdapter#status()} returns it and as
 * it is replicated to the other members.
 *
 * @param state what the server is doing
 * @param timeline current timeline; 0 when unknown
 * @param writeLsn on a primary, the current WAL write position; otherwise {@link Lsn#ZERO}
 * @param receivedLsn on a standby, WAL received and flushed from the upstream
 * @param replayedLsn on a standby, WAL replayed
 * @param upstream on a standby, the member it follows, when it follows one
 * @param systemIdentifier the database's system identifier, when known
 * @param replicas on a primary, the connected standbys
 * @param synchronousStandbys on a primary, the standbys its configuration makes synchronous
 * @param detail a short human-readable note (why it is stopped, the last error), or empty
 * @param pendingRestart the running server has settings that take effect only after a restart
 *     (PostgreSQL's {@code pg_settings.pending_restart})
 */
public record DatabaseStatus(DatabaseState state, long timeline, Lsn writeLsn, Lsn receivedLsn, Lsn replayedLsn,
    Optional<MemberId> upstream, Optional<String> systemIdentifier, List<ReplicaInfo> replicas,
    Set<MemberId> synchronousStandbys, String detail, boolean pendingRestart) {

  /** A status without a pending restart. */
  public DatabaseStatus(DatabaseState state, long timeline, Lsn writeLsn, Lsn receivedLsn, Lsn replayedLsn,
      Optional<MemberId> upstream, Optional<String> systemIdentifier, List<ReplicaInfo> replicas,
      Set<MemberId> synchronousStandbys, String detail) {
    this(state, timeline, writeLsn, receivedLsn, replayedLsn, upstream, systemIdentifier, replicas,
        synchronousStandbys, detail, false);
  }

  public DatabaseStatus {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(writeLsn, "writeLsn");
    Objects.requireNonNull(receivedLsn, "receivedLsn");
    Objects.requireNonNull(replayedLsn, "replayedLsn");
    Objects.requireNonNull(upstream, "upstream");
    Objects.requireNonNull(systemIdentifier, "systemIdentifier");
    if (timeline < 0) {
      throw new IllegalArgumentException("timeline must not be negative: " + timeline);
    }
    replicas = List.copyOf(replicas);
    synchronousStandbys = Set.copyOf(synchronousStandbys);
    detail = detail == null ? "" : detail;
  }

  public static DatabaseStatus of(DatabaseState state, String detail) {
    return new DatabaseStatus(state, 0, Lsn.ZERO, Lsn.ZERO, Lsn.ZERO, Optional.empty(), Optional.empty(),
        List.of(), Set.of(), detail);
  }

  public static DatabaseStatus primary(long timeline, Lsn writeLsn, List<ReplicaInfo> replicas,
      Set<MemberId> synchronousStandbys) {
    return new DatabaseStatus(DatabaseState.RUNNING_PRIMARY, timeline, writeLsn, Lsn.ZERO, Lsn.ZERO,
        Optional.empty(), Optional.empty(), replicas, synchronousStandbys, "");
  }

  public static DatabaseStatus replica(long timeline, Lsn receivedLsn, Lsn replayedLsn, Optional<MemberId> upstream) {
    return new DatabaseStatus(DatabaseState.RUNNING_REPLICA, timeline, Lsn.ZERO, receivedLsn, replayedLsn,
        upstream, Optional.empty(), List.of(), Set.of(), "");
  }

  /** How far this database's WAL goes: written on a primary, received or replayed on a standby. */
  public Lsn position() {
    return Lsn.max(writeLsn, Lsn.max(receivedLsn, replayedLsn));
  }

  public boolean isPrimary() {
    return state == DatabaseState.RUNNING_PRIMARY;
  }

  public boolean isReplica() {
    return state == DatabaseState.RUNNING_REPLICA;
  }

  /** In recovery, consistent or not: never writable, and re-pointable at another upstream. */
  public boolean isStandby() {
    return state == DatabaseState.RUNNING_REPLICA || state == DatabaseState.RECOVERING;
  }

  public DatabaseStatus withSystemIdentifier(String id) {
    return new DatabaseStatus(state, timeline, writeLsn, receivedLsn, replayedLsn, upstream, Optional.ofNullable(id),
        replicas, synchronousStandbys, detail, pendingRestart);
  }

  public DatabaseStatus withDetail(String text) {
    return new DatabaseStatus(state, timeline, writeLsn, receivedLsn, replayedLsn, upstream, systemIdentifier,
        replicas, synchronousStandbys, text, pendingRestart);
  }

  public DatabaseStatus withPendingRestart(boolean value) {
    return new DatabaseStatus(state, timeline, writeLsn, receivedLsn, replayedLsn, upstream, systemIdentifier,
        replicas, synchronousStandbys, detail, value);
  }
}

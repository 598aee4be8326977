package io.ratisfailover.spi;

import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import java.util.Objects;

/**
 * One standby connected to the local primary ({@code pg_stat_replication}).
 *
 * @param member the standby, by its {@code application_name}
 * @param streaming true once the standby has caught up and streams ({@code state = streaming})
 * @param syncState how the primary counts its confirmations
 * @param flushLsn WAL the standby has written durably
 * @param replayLsn WAL the standby has applied
 */
public record ReplicaInfo(MemberId member, boolean streaming, SyncState syncState, Lsn flushLsn, Lsn replayLsn) {
  public ReplicaInfo {
    Objects.requireNonNull(member, "member");
    Objects.requireNonNull(syncState, "syncState");
    Objects.requireNonNull(flushLsn, "flushLsn");
    Objects.requireNonNull(replayLsn, "replayLsn");
  }

  /** {@code pg_stat_replication.sync_state}. */
  public enum SyncState {
    ASYNC, POTENTIAL, SYNC, QUORUM;

    /** The primary waits for this standby's confirmation before acknowledging commits. */
    public boolean confirmsCommits() {
      return this == SYNC || this == QUORUM;
    }
  }
}

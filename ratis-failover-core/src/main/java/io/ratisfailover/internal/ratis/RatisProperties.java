package io.ratisfailover.internal.ratis;

import io.ratisfailover.HostPort;
import io.ratisfailover.Timing;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

/** The one place our configuration becomes Ratis properties. */
public final class RatisProperties {
  /** By default, take a snapshot (and purge the log behind it) every this many entries. */
  public static final long SNAPSHOT_EVERY = 1000;
  /** The largest log entry a group accepts: a command over it is refused when submitted. */
  static final int MAX_ENTRY_BYTES = 64 * 1024;

  private RatisProperties() {}

  public static RaftProperties server(Timing timing, Path storage, HostPort bind, long snapshotEvery) {
    RaftProperties p = new RaftProperties();
    RaftServerConfigKeys.setStorageDir(p, List.of(storage.toFile()));
    GrpcConfigKeys.Server.setHost(p, bind.host());
    GrpcConfigKeys.Server.setPort(p, bind.port());

    RaftServerConfigKeys.Rpc.setTimeoutMin(p, millis(timing.electionTimeoutMin().toMillis()));
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, millis(timing.electionTimeoutMax().toMillis()));
    RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(p, millis(timing.electionTimeoutMin().toMillis()));
    RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(p, millis(timing.electionTimeoutMax().toMillis()));
    RaftServerConfigKeys.LeaderElection.setPreVote(p, true);
    // A leader that stepped down for lost heartbeats sits out elections this long (10 s by default);
    // with priorities favouring it, the others then cannot elect anyone either. One timeout is enough.
    RaftServerConfigKeys.LeaderElection.setLeaderStepDownWaitTime(p, millis(timing.electionTimeoutMax().toMillis()));
    // A long JVM pause would otherwise close the server for good; the lease logic already copes
    // with pauses, so keep the server and let it rejoin.
    RaftServerConfigKeys.setCloseThreshold(p, TimeDuration.valueOf(1, TimeUnit.DAYS));

    // Everything below is per Raft group, and a witness hosts one group per cluster it serves.
    // Segments of about a fifth of a snapshot interval (our entries are 200-400 bytes): a closed
    // segment wholly behind a snapshot is purged, and Ratis keeps the open segment and up to two
    // closed ones in memory (six by default: some 2 MB of heap per group after a few minutes).
    long segment = Math.max(32 * 1024, Math.min(1024 * 1024, snapshotEvery * 64));
    RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(segment));
    RaftServerConfigKeys.Log.setPreallocatedSize(p, SizeInBytes.valueOf(segment));
    RaftServerConfigKeys.Log.setSegmentCacheNumMax(p, 2);
    // The leader refuses a command whose entry is over the appender's limit ("exceeds the max buffer
    // limit"); our largest (a status report at every cap of Limits, signed) is under 64 KB. The log
    // writer's direct buffer, allocated whole for every group, must hold one entry of that size.
    RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p, SizeInBytes.valueOf(MAX_ENTRY_BYTES));
    RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(MAX_ENTRY_BYTES + 8));
    // Ratis retries a follower it cannot reach every 5 s after a few failures: a member (or the
    // witness) that comes back would sit unused that long, and the cluster would run on a bare
    // majority meanwhile. Retry every 100 ms instead; a refused connection costs next to nothing.
    RaftServerConfigKeys.Log.Appender.setRetryPolicy(p, "1ms,10, 100ms," + Integer.MAX_VALUE);
    // A group's follower appends run on an executor of the group: by default an unbounded cached
    // pool, which grew to five threads a group on a witness serving four clusters. One thread (started
    // on demand, gone after a minute idle) keeps them in order. The client-request executor stays
    // unbounded: with one thread, the Raft leader answered no command once the primary was cut off
    // (RealRatisClusterTest): some request must block it.
    RaftServerConfigKeys.ThreadPool.setServerCached(p, true);
    RaftServerConfigKeys.ThreadPool.setServerSize(p, 1);
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
    RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.max(1, Math.min(200, snapshotEvery / 5)));

    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, snapshotEvery);
    RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, 2);
    return p;
  }

  public static RaftProperties client(Timing timing) {
    RaftProperties p = new RaftProperties();
    // How long one attempt waits before it is sent again (to the next server when the leader is
    // silent). A write takes two round trips (member to leader, leader to a follower): at
    // rpc_timeout, each attempt on a link with a few hundred ms of jitter timed out and was sent
    // again, and the renewals never got through. The caller's own rpc_timeout still governs how
    // long it waits before it sends the next renewal.
    RaftClientConfigKeys.Rpc.setRequestTimeout(p, millis(timing.rpcTimeout().multipliedBy(2).toMillis()));
    return p;
  }

  static TimeDuration millis(long ms) {
    return TimeDuration.valueOf(ms, TimeUnit.MILLISECONDS);
  }
}

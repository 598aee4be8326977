package io.ratisfailover;

import io.ratisfailover.internal.auth.MemberKey;
import io.ratisfailover.internal.control.MemberRuntime;
import io.ratisfailover.internal.control.MemberThreads;
import io.ratisfailover.internal.control.StateWatchers;
import io.ratisfailover.internal.ratis.LoopEvents;
import io.ratisfailover.internal.ratis.RaftNode;
import io.ratisfailover.internal.ratis.RaftTlsParameters;
import io.ratisfailover.internal.ratis.RatisConsensus;
import io.ratisfailover.internal.ratis.RatisProcessGuard;
import io.ratisfailover.spi.DatabaseAdapter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a member's parts in the order its safety needs, and closes them: the agent starts before
 * the Raft server, so that a database a killed agent left writable is fenced at once; on close the
 * agent stops first and the database adapter is closed last.
 */
final class MemberLifecycle {
  // Logged under FailoverMember, which started and closed its parts itself before this class had the job.
  private static final Logger log = LoggerFactory.getLogger(FailoverMember.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

  private final MemberId id;
  private final MemberKind kind;
  private final String clusterName;
  /** Where this member's own Raft server keeps its storage; empty on a shared server, which made its own. */
  private final Optional<Path> ownStorage;
  private final RaftNode raft;
  private final MemberThreads threads;
  private final MemberRuntime runtime;
  private final RatisConsensus consensus;
  private final StateWatchers watchers;
  private final Optional<MemberKey> key;
  private final RaftTlsParameters tls;
  /** Null for a witness. */
  private final DatabaseAdapter database;
  private final Duration fenceWait;

  MemberLifecycle(MemberId id, MemberKind kind, String clusterName, Optional<Path> ownStorage, RaftNode raft,
      MemberThreads threads, MemberRuntime runtime, RatisConsensus consensus, StateWatchers watchers,
      Optional<MemberKey> key, RaftTlsParameters tls, DatabaseAdapter database, Duration fenceWait) {
    this.id = id;
    this.kind = kind;
    this.clusterName = clusterName;
    this.ownStorage = ownStorage;
    this.raft = raft;
    this.threads = threads;
    this.runtime = runtime;
    this.consensus = consensus;
    this.watchers = watchers;
    this.key = key;
    this.tls = tls;
    this.database = database;
    this.fenceWait = fenceWait;
  }

  /** @throws FailoverException naming the cause when the Raft server cannot start */
  void start() {
    if (ownStorage.isPresent()) { // a shared server has installed the guard and made its storage
      RatisProcessGuard.install();
      try {
        Files.createDirectories(ownStorage.get());
      } catch (IOException e) {
        throw new FailoverException("cannot create storage directory " + ownStorage.get() + ": " + e.getMessage(), e);
      }
    }
    // The agent starts first, before the peers are asked about the storage and before the Raft
    // server: a database left writable by a killed agent is fenced now, not once peers answer.
    runtime.start();
    String bind;
    try {
      bind = raft.start(new LoopEvents(threads.loop(), runtime, watchers, raft::currentTerm), key.map(MemberKey::ca));
    } catch (FailoverException e) {
      threads.shutdown(fenceWait);
      throw e;
    }
    started(bind);
  }

  private void started(String bind) {
    runtime.consensusStarted();
    log.info("member {}: started ({}, cluster {}, raft {}, {})", id, kind, clusterName, bind,
        tls.secure() ? "mutual TLS" : "no TLS");
    if (!tls.secure()) {
      log.warn("member {}: the Raft port {} has no TLS and no authentication: whoever reaches it controls cluster {}",
          id, bind, clusterName);
    }
  }

  void close() {
    if (raft.started()) { // else start failed and already stopped the loop
      try {
        threads.loop().runAndWait(runtime::close, CLOSE_TIMEOUT);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    closeQuietly(consensus);
    raft.close();
    threads.shutdown(fenceWait);
    if (database != null) {
      try {
        database.close();
      } catch (RuntimeException e) {
        log.warn("member {}: closing the database adapter failed: {}", id, e.toString());
      }
    }
    log.info("member {}: closed", id);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log.warn("closing {} failed: {}", c.getClass().getSimpleName(), e.toString());
    }
  }
}

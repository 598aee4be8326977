package io.ratisfailover.internal.ratis;

import io.ratisfailover.MemberId;
import io.ratisfailover.internal.state.Applied;
import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.ClusterCa;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Codec;
import io.ratisfailover.internal.state.Rejection;
import io.ratisfailover.internal.state.Request;
import io.ratisfailover.internal.state.SignatureCheck;
import io.ratisfailover.internal.state.Transition;
import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Our state machine on Ratis: decodes each entry, applies it with the pure {@link Transition},
 * tells the runtime, and answers the sender with the encoded result. A malformed entry or a bug in
 * the transition is answered as a rejection: nothing ever throws out of {@link #applyTransaction}.
 * Snapshots are written atomically (temporary file, fsync, rename) with their md5.
 */
public final class RatisStateMachine extends BaseStateMachine {
  private static final Logger log = LoggerFactory.getLogger(RatisStateMachine.class);

  /** The state together with the log position it reflects, swapped as one. */
  private record Versioned(ClusterState state, TermIndex applied) {}

  private final Transition transition;
  private final StateMachineEvents events;
  private final MemberId self;
  /** The leader's filter: keeps requests that every replica would refuse as unauthenticated out of the log. */
  private final SignatureCheck admission = new SignatureCheck();
  private final RefusalLog refusals;
  private final Optional<ClusterCa> ca;
  private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
  private volatile Versioned current = new Versioned(ClusterState.EMPTY, TermIndex.INITIAL_VALUE);

  public RatisStateMachine(MemberId self, Transition transition, StateMachineEvents events) {
    this(self, transition, events, Optional.empty());
  }

  /** @param ca the CA this member is configured with: as leader it logs no bootstrap under another */
  public RatisStateMachine(MemberId self, Transition transition, StateMachineEvents events, Optional<ClusterCa> ca) {
    this.self = self;
    this.ca = ca;
    this.transition = transition;
    this.events = events;
    this.refusals = new RefusalLog(log, self);
  }

  public ClusterState state() {
    return current.state();
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
    super.initialize(server, groupId, raftStorage);
    storage.init(raftStorage);
    load(storage.getLatestSnapshot());
    getLifeCycle().startAndTransition(() -> {});
  }

  /** Ratis pauses the machine before installing a snapshot from the leader on a lagging follower. */
  @Override
  public void pause() {
    LifeCycle lifeCycle = getLifeCycle();
    if (lifeCycle.getCurrentState() == LifeCycle.State.RUNNING) {
      lifeCycle.transition(LifeCycle.State.PAUSING);
      lifeCycle.transition(LifeCycle.State.PAUSED);
    }
  }

  /**
   * After an installed snapshot: reload from storage (not the cached snapshot) and run again.
   * Without a snapshot on disk the old state would silently stand for the leader's: fail instead
   * (Ratis then stops this server, and an operator sees why).
   */
  @Override
  public void reinitialize() throws IOException {
    SingleFileSnapshotInfo installed = storage.loadLatestSnapshot();
    if (installed == null) {
      throw new IOException("member " + self + ": Ratis installed a snapshot but there is no snapshot on disk"
          + " to load; the state machine cannot continue from its old state");
    }
    load(installed);
    LifeCycle lifeCycle = getLifeCycle();
    if (lifeCycle.getCurrentState() == LifeCycle.State.PAUSED) {
      lifeCycle.transition(LifeCycle.State.STARTING);
      lifeCycle.transition(LifeCycle.State.RUNNING);
    }
  }

  @Override
  public SimpleStateMachineStorage getStateMachineStorage() {
    return storage;
  }

  /**
   * On the leader, before a request is logged: one that every replica would refuse as
   * unauthenticated is answered with an error and never reaches the log, so a stranger cannot fill
   * it, nor bootstrap the cluster under a CA of its own choosing; and an election is logged only
   * when this leader itself sent it. Only a filter: replicas decide again when they apply (an entry
   * may reach the log another way, and a filter on one member is no proof for the others).
   */
  @Override
  public TransactionContext startTransaction(RaftClientRequest clientRequest) throws IOException {
    TransactionContext trx = super.startTransaction(clientRequest);
    Request request;
    try {
      request = Codec.decodeRequest(clientRequest.getMessage().getContent());
    } catch (Codec.MalformedMessageException e) {
      return trx; // logged and refused where it is applied, as before
    }
    ClusterState state = current.state();
    Optional<String> refusal = admission.refusal(state, request);
    if (refusal.isEmpty() && !state.initialized() && ca.isPresent() && request.command() instanceof Command.Bootstrap b
        && !b.ca().equals(ca)) {
      // No stranger picks the cluster's CA: a member with one logs only a bootstrap under it.
      refusal = Optional.of("Bootstrap claiming to come from " + request.origin().member() + " names "
          + b.ca().map(ClusterCa::toString).orElse("no CA") + ", and this leader logs only a bootstrap under its " + ca.get());
    }
    if (refusal.isEmpty() && request.command() instanceof Command.Elect e && !request.origin().member().equals(self)) {
      // Only the arbiter elects, and it runs on the Raft leader: a member that is not (a deposed
      // leader's late attempt, or a certified member's own forgery) cannot skip its wait.
      refusal = Optional.of("Elect of " + e.candidate() + " from " + request.origin().member()
          + ", which is not the Raft leader (" + self + " is): only the leader's arbiter elects");
    }
    if (refusal.isPresent()) {
      refusals.refused("not logging a request", refusal.get());
      trx.setException(new UnauthenticatedRequestException(refusal.get()));
    }
    return trx;
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    long index = entry.getIndex();
    Versioned before = current;
    ApplyResult result;
    ClusterState after = before.state();
    Request request = null;
    try {
      request = Codec.decodeRequest(entry.getStateMachineLogEntry().getLogData());
      Applied applied = transition.apply(before.state(), request, index);
      after = applied.state();
      result = applied.result();
    } catch (Codec.MalformedMessageException e) {
      log.warn("member {}: entry {} is malformed and changes nothing: {}", self, index, e.getMessage());
      result = rejected(before.state(), index, e.getMessage());
    } catch (RuntimeException e) {
      log.error("member {}: applying entry {} failed; it changes nothing", self, index, e);
      result = rejected(before.state(), index, "internal error: " + e);
    }
    if (result.rejection().filter(Rejection.UNAUTHENTICATED::equals).isPresent()) {
      refusals.refused("entry " + index + " changes nothing", result.reason());
    }
    current = new Versioned(after, TermIndex.valueOf(entry));
    updateLastAppliedTermIndex(entry.getTerm(), index);
    if (request != null) {
      events.applied(index, request, result, after);
    }
    return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(Codec.encode(result))));
  }

  /**
   * Answers any read with the whole applied state: a member about to start asks its peers (as a
   * stale read, from any of them) whether the cluster has heard from it before.
   */
  @Override
  public CompletableFuture<Message> query(Message request) {
    return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(Codec.encode(current.state()))));
  }

  private static ApplyResult rejected(ClusterState state, long index, String reason) {
    return new ApplyResult(index, Optional.of(Rejection.INVALID), reason, state.epoch(), state.primary());
  }

  @Override
  public long takeSnapshot() throws IOException {
    Versioned v = current;
    TermIndex applied = v.applied();
    if (applied.getIndex() <= 0) {
      return applied.getIndex();
    }
    File target = storage.getSnapshotFile(applied.getTerm(), applied.getIndex());
    Path tmp = target.toPath().resolveSibling(target.getName() + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
        StandardOpenOption.WRITE)) {
      ch.write(java.nio.ByteBuffer.wrap(Codec.encode(v.state())));
      ch.force(true);
    }
    Files.move(tmp, target.toPath(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(target);
    storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(target.toPath(), md5), applied));
    log.debug("member {}: snapshot at {} written", self, applied);
    return applied.getIndex();
  }

  private void load(SingleFileSnapshotInfo snapshot) throws IOException {
    if (snapshot == null) {
      return;
    }
    Path path = snapshot.getFile().getPath();
    MD5Hash md5 = snapshot.getFile().getFileDigest();
    if (md5 != null) {
      MD5FileUtil.verifySavedMD5(path.toFile(), md5);
    }
    ClusterState state;
    try {
      state = Codec.decodeState(Files.readAllBytes(path));
    } catch (Codec.MalformedMessageException e) {
      throw new IOException("snapshot " + path + " is corrupt: " + e.getMessage(), e);
    }
    TermIndex applied = snapshot.getTermIndex();
    current = new Versioned(state, applied);
    setLastAppliedTermIndex(applied);
    log.info("member {}: loaded snapshot at {} (cluster {}, epoch {})", self, applied, state.clusterName(), state.epoch());
    events.loaded(state, applied.getIndex());
  }

  // --- leadership ---------------------------------------------------------------------------

  @Override
  public void notifyLeaderReady() {
    events.leadership(true);
  }

  @Override
  public void notifyNotLeader(Collection<TransactionContext> pendingEntries) {
    events.leadership(false);
  }

  @Override
  public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
    Optional<MemberId> leader = newLeaderId == null ? Optional.empty() : Optional.of(MemberId.of(newLeaderId.toString()));
    events.leaderChanged(leader);
    if (leader.filter(self::equals).isEmpty()) {
      events.leadership(false);
    }
  }
}

package io.ratisfailover.internal.ratis;

import io.ratisfailover.FailoverException;
import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.RaftLeaderPreference;
import io.ratisfailover.internal.control.Consensus;
import io.ratisfailover.internal.control.RaftVoters;
import io.ratisfailover.internal.control.RootCause;
import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.Codec;
import io.ratisfailover.internal.state.Request;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.LeaderSteppingDownException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.util.TimeDuration;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated log on Ratis: sends requests through one ordered async client (so requests reach
 * the log in the order they were stamped) and steers Raft leadership away from the primary's host
 * with peer priorities (docs/design.md §4.10). Ratis' shaded types stay inside this class.
 */
public final class RatisConsensus implements Consensus, RaftVoters, java.io.Closeable {
  private static final Logger log = LoggerFactory.getLogger(RatisConsensus.class);

  /**
   * Requests the client may hold unanswered. Without a leader they wait inside the client; beyond
   * this many, new ones fail at once instead of piling up for the whole length of a partition.
   */
  static final int MAX_OUTSTANDING = 16;
  /** A leadership hand-over takes about one election timeout; this covers several. */
  private static final int STEP_DOWN_ATTEMPTS = 30;
  /** Attempts at one membership change: conflicts with a re-weighing or an election settle within a few. */
  private static final int RECONFIGURE_ATTEMPTS = 10;
  private static final long RECONFIGURE_PAUSE_MILLIS = 300;
  private static final Executor STEP_DOWN_PAUSE = CompletableFuture.delayedExecutor(100, TimeUnit.MILLISECONDS);

  private final MemberId self;
  private final Supplier<RaftClient> clients;
  private final Supplier<RaftServer.Division> division;
  private final Map<MemberId, MemberKind> kinds;
  private final RaftLeaderPreference preference;
  private final Executor admin;
  private final java.time.Duration transferTimeout;
  private final RaftTlsParameters tls;
  private final AtomicInteger outstanding = new AtomicInteger();
  private RaftClient client;
  private boolean shutDown;

  /**
   * @param clients builds a fresh client: one at start, and another if Ratis ever closes the current one
   * @param division the local Raft division, available once the server started
   * @param admin runs the blocking configuration and leadership-transfer calls
   * @param transferTimeout how long a leadership transfer may hold up writes: the minimum election timeout
   * @param preference which members the priorities favour as Raft leader besides the primary's
   * @param tls this member's own Raft TLS: membership changes are sent with it
   */
  public RatisConsensus(MemberId self, Supplier<RaftClient> clients, Supplier<RaftServer.Division> division,
      List<Peer> peers, Executor admin, java.time.Duration transferTimeout, RaftLeaderPreference preference,
      RaftTlsParameters tls) {
    this.self = self;
    this.preference = preference;
    this.tls = tls;
    this.transferTimeout = transferTimeout;
    this.clients = clients;
    this.client = clients.get();
    this.division = division;
    this.kinds = peers.stream().collect(Collectors.toUnmodifiableMap(Peer::id, Peer::kind));
    this.admin = admin;
  }

  /**
   * The client retries each request until a leader answers (its ordered window is closed for
   * good if a request ever gives up); the caller's own timeout decides how long to wait for it.
   */
  public static RetryPolicy retryPolicy() {
    return RetryPolicies.retryForeverWithSleep(TimeDuration.valueOf(50, TimeUnit.MILLISECONDS));
  }

  @Override
  public CompletableFuture<ApplyResult> send(Request request) {
    if (outstanding.incrementAndGet() > MAX_OUTSTANDING) {
      outstanding.decrementAndGet();
      return CompletableFuture.failedFuture(new IOException(MAX_OUTSTANDING
          + " requests are still waiting for a Raft leader; not queueing more"));
    }
    Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(Codec.encode(request)));
    return attempt(message, 1).whenComplete((result, error) -> outstanding.decrementAndGet());
  }

  /**
   * One attempt; a leader that is handing over (after a change of primary the Raft leadership moves
   * away from the new primary's host) refuses with "stepping down", which the client does not retry:
   * the request is sent again shortly, to the next leader. A repeat that was applied after all is
   * refused by the state machine as already applied.
   */
  private CompletableFuture<ApplyResult> attempt(Message message, int attempt) {
    RaftClient current = current();
    return current.async().send(message).handle((reply, error) -> {
      Throwable failure = error != null ? error : reply.isSuccess() ? null : reply.getException();
      if (failure != null && isClosed(failure)) {
        replace(current, failure);
      }
      if (failure != null && steppingDown(failure) && attempt < STEP_DOWN_ATTEMPTS) {
        return CompletableFuture.supplyAsync(() -> message, STEP_DOWN_PAUSE).thenCompose(m -> attempt(m, attempt + 1));
      }
      return error != null ? CompletableFuture.<ApplyResult>failedFuture(error)
          : CompletableFuture.completedFuture(reply).thenApply(RatisConsensus::result);
    }).thenCompose(f -> f);
  }

  private static boolean steppingDown(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof LeaderSteppingDownException) {
        return true;
      }
    }
    return false;
  }

  private static ApplyResult result(RaftClientReply reply) {
    if (!reply.isSuccess()) {
      throw new CompletionException(reply.getException() != null ? reply.getException()
          : new IOException("request failed without an exception"));
    }
    return Codec.decodeResult(reply.getMessage().getContent());
  }

  private synchronized RaftClient current() {
    return client;
  }

  /**
   * Swaps a client Ratis closed for a new one; requests on the old one fail and are retried by
   * their callers. Runs in a Ratis callback: the old client is closed later, on the admin thread,
   * and no Ratis call is made while holding this object's lock.
   */
  private void replace(RaftClient closed, Throwable why) {
    synchronized (this) {
      if (shutDown || client != closed) {
        return;
      }
      log.warn("member {}: the Raft client was closed ({}); starting a new one", self, why.toString());
      client = clients.get();
    }
    admin.execute(() -> closeClient(closed));
  }

  private static boolean isClosed(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof AlreadyClosedException) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() {
    RaftClient last;
    synchronized (this) {
      shutDown = true;
      last = client;
    }
    closeClient(last);
  }

  private void closeClient(RaftClient c) {
    try {
      c.close();
    } catch (IOException | RuntimeException e) {
      log.debug("member {}: closing a Raft client failed: {}", self, e.toString());
    }
  }

  /**
   * Through a client of its own, never the one that sends this member's commands: a blocking call
   * that meets a new leader moves its client there without restarting the client's ordered window
   * (Ratis 3.3), and the renewals sent next on that client would wait at the new leader, until
   * the request timeout and beyond, for earlier requests it never received.
   */
  @Override
  public void placeLeaderAwayFrom(MemberId primary) {
    admin.execute(() -> {
      try (RaftClient placing = clients.get()) {
        reweigh(placing, primary);
        handOverIfLeading(placing, primary);
      } catch (IOException | RuntimeException e) {
        log.warn("member {}: could not steer Raft leadership away from primary {}: {}", self, primary, e.toString());
      }
    });
  }

  private void reweigh(RaftClient placing, MemberId primary) throws IOException {
    Collection<RaftPeer> current = division.get().getRaftConf().getCurrentPeers();
    boolean changed = false;
    List<RaftPeer> next = new ArrayList<>();
    for (RaftPeer peer : current) {
      int wanted = priority(peer, primary);
      changed |= peer.getPriority() != wanted;
      next.add(RaftPeer.newBuilder(peer).setPriority(wanted).build());
    }
    if (!changed) {
      return;
    }
    RaftClientReply reply = setConfiguration(placing, current, next);
    if (!reply.isSuccess()) {
      throw new IOException("setConfiguration refused: " + reply.getException());
    }
    log.info("member {}: Raft priorities now favour a {} as leader, away from primary {}", self,
        preference == RaftLeaderPreference.STANDBY ? "standby" : "witness", primary);
  }

  /** The one way this member changes the group's configuration: compare-and-set against {@code current}. */
  private static RaftClientReply setConfiguration(RaftClient client, Collection<RaftPeer> current, List<RaftPeer> next)
      throws IOException {
    return client.admin().setConfiguration(SetConfigurationRequest.Arguments.newBuilder()
        .setServersInNewConf(next).setServersInCurrentConf(new ArrayList<>(current))
        .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET).build());
  }

  @Override
  public List<MemberId> voters() {
    return division.get().getRaftConf().getCurrentPeers().stream().map(p -> MemberId.of(p.getId().toString())).toList();
  }

  /**
   * Adds {@code peer} as a voter, with its kind's priority. Ratis stages a new peer: the leader
   * brings it up to date (the log, or a snapshot when the log was purged) before it commits the
   * configuration that counts its vote, and only then does this return. A no-op when it is one.
   *
   * @param attemptTimeout how long one attempt may wait for the new peer to catch up and the change to commit
   * @throws FailoverException naming why the change could not be made
   */
  @Override
  public void addVoter(Peer peer, java.time.Duration attemptTimeout) {
    reconfigure("add " + peer.id() + " as a voter", attemptTimeout, current -> {
      if (current.stream().anyMatch(p -> p.getId().toString().equals(peer.id().value()))) {
        return Optional.empty();
      }
      List<RaftPeer> next = new ArrayList<>(current);
      next.add(RaftNode.raftPeer(peer, preference));
      return Optional.of(next);
    });
  }

  /** Removes {@code member} from the voters; a no-op when it is not one. As {@link #addVoter}. */
  @Override
  public void removeVoter(MemberId member, java.time.Duration attemptTimeout) {
    reconfigure("remove " + member + " from the voters", attemptTimeout, current -> {
      List<RaftPeer> next = current.stream().filter(p -> !p.getId().toString().equals(member.value())).toList();
      return next.size() == current.size() ? Optional.empty() : Optional.of(next);
    });
  }

  /**
   * Compare-and-set against the configuration this member's server holds, retried while another
   * change (a re-weighing, an election, a change still being committed) gets in the way. Sent
   * through a client of this member's own TLS to the leader this member knows, over the peers of
   * the latest configuration (not the configuration file's, which may lag behind it).
   */
  private void reconfigure(String what, java.time.Duration attemptTimeout,
      java.util.function.Function<List<RaftPeer>, Optional<List<RaftPeer>>> edit) {
    String last = "no attempt made";
    for (int attempt = 1; attempt <= RECONFIGURE_ATTEMPTS; attempt++) {
      RaftServer.Division d = division.get();
      org.apache.ratis.server.RaftConfiguration conf = d.getRaftConf();
      if (!conf.getPreviousPeers().isEmpty()) {
        last = "another configuration change is still being committed";
      } else {
        List<RaftPeer> current = new ArrayList<>(conf.getCurrentPeers());
        Optional<List<RaftPeer>> next = edit.apply(current);
        if (next.isEmpty()) {
          log.info("member {}: nothing to do to {}", self, what);
          return;
        }
        try (RaftClient client = reconfigureClient(d, current, attemptTimeout)) {
          RaftClientReply reply = setConfiguration(client, current, next.get());
          if (reply.isSuccess()) {
            log.info("member {}: {}: done", self, what);
            return;
          }
          last = String.valueOf(reply.getException());
        } catch (IOException | RuntimeException e) {
          last = RootCause.message(e);
        }
      }
      log.info("member {}: could not {} yet (attempt {}): {}", self, what, attempt, last);
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(RECONFIGURE_PAUSE_MILLIS));
    }
    throw new FailoverException("could not " + what + ": " + last);
  }

  /** One attempt's client: no retries inside it (the caller retries the whole compare-and-set). */
  private RaftClient reconfigureClient(RaftServer.Division d, List<RaftPeer> peers, java.time.Duration timeout) {
    org.apache.ratis.conf.RaftProperties p = new org.apache.ratis.conf.RaftProperties();
    org.apache.ratis.client.RaftClientConfigKeys.Rpc.setRequestTimeout(p,
        TimeDuration.valueOf(timeout.toMillis(), TimeUnit.MILLISECONDS));
    RaftClient.Builder b = RaftClient.newBuilder().setRaftGroup(org.apache.ratis.protocol.RaftGroup.valueOf(
        d.getGroup().getGroupId(), peers)).setProperties(p).setParameters(tls.parameters())
        .setRetryPolicy(RetryPolicies.noRetry());
    RaftPeerId leader = d.getInfo().getLeaderId();
    if (leader != null) {
      b.setLeaderId(leader);
    }
    return b.build();
  }

  /**
   * While a transfer is pending the Ratis leader refuses every write, renewals included: it is
   * bounded by the minimum election timeout (as Ratis' own hand-over to a higher-priority peer
   * is), and only offered to a follower that answered the leader within that time.
   */
  private void handOverIfLeading(RaftClient placing, MemberId from) throws IOException {
    RaftServer.Division d = division.get();
    if (!d.getInfo().isLeader() || !self.equals(from)) {
      return;
    }
    long bound = transferTimeout.toMillis();
    Map<String, Long> lastHeard = d.getInfo().getRoleInfoProto().getLeaderInfo().getFollowerInfoList().stream()
        .collect(Collectors.toMap(f -> f.getId().getId().toStringUtf8(), f -> f.getLastRpcElapsedTimeMs(), Math::min));
    Optional<RaftPeer> target = d.getRaftConf().getCurrentPeers().stream()
        .filter(p -> !p.getId().toString().equals(from.value()))
        .filter(p -> lastHeard.getOrDefault(p.getId().toString(), Long.MAX_VALUE) < bound)
        .max((a, b) -> Integer.compare(a.getPriority(), b.getPriority()));
    if (target.isEmpty()) {
      log.info("member {}: no follower answered within {} ms; Raft leadership stays here for now", self, bound);
      return;
    }
    RaftPeerId to = target.get().getId();
    RaftClientReply reply = placing.admin().transferLeadership(to, bound);
    log.info("member {}: asked Raft to hand leadership to {}: {}", self, to, reply.isSuccess() ? "done" : reply.getException());
  }

  /**
   * A member added through reconfiguration is not in this member's configuration file: its kind is
   * the one its current priority says, as every member sets priorities by the same preference.
   */
  private int priority(RaftPeer peer, MemberId primary) {
    MemberId member = MemberId.of(peer.getId().toString());
    MemberKind kind = kinds.getOrDefault(member, preference.kindAt(peer.getPriority()));
    return preference.priority(kind, member.equals(primary));
  }
}

package io.ratisfailover.internal.ratis;

import io.ratisfailover.MemberId;
import io.ratisfailover.MemberKind;
import io.ratisfailover.Peer;
import io.ratisfailover.internal.control.Consensus;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.RaftRetryFailureException;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated log on Ratis: sends requests through one ordered async client (so requests reach
 * the log in the order they were stamped) and steers Raft leadership away from the primary's host
 * with peer priorities (DESIGN §4.10). Ratis' shaded types stay inside this class.
 *
 * <p>Ratis' ordered client is unusable for good once one request has run out of retries (its
 * sliding window keeps the failure and refuses every later request with
 * {@code AlreadyClosedException}); a group without a leader for longer than the retries last —
 * start-up, the leader's host dying, a partition — would silence the member for ever. Such a client
 * is replaced by a new one; requests already sent through it have failed and are sent again by the
 * agent with new sequence numbers.
 */
public final class RatisConsensus implements Consensus, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RatisConsensus.class);

  /** Priorities: a witness makes the best arbiter, a standby the next best, the primary the worst. */
  public static final int WITNESS_PRIORITY = 2;
  public static final int STANDBY_PRIORITY = 1;
  static final int PRIMARY_PRIORITY = 0;

  private final MemberId self;
  private final Supplier<RaftClient> clients;
  private final AtomicReference<RaftClient> client;
  private final Supplier<RaftServer.Division> division;
  private final Map<MemberId, MemberKind> kinds;
  private final Executor admin;
  private volatile boolean closed;

  /**
   * @param clients makes a client of the group; called again whenever the current one broke
   * @param division the local Raft division, available once the server started
   * @param admin runs the blocking configuration and leadership-transfer calls
   */
  public RatisConsensus(MemberId self, Supplier<RaftClient> clients, Supplier<RaftServer.Division> division,
      List<Peer> peers, Executor admin) {
    this.self = self;
    this.clients = clients;
    this.client = new AtomicReference<>(clients.get());
    this.division = division;
    this.kinds = peers.stream().collect(Collectors.toUnmodifiableMap(Peer::id, Peer::kind));
    this.admin = admin;
  }

  @Override
  public CompletableFuture<ApplyResult> send(Request request) {
    Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(Codec.encode(request)));
    RaftClient current = client.get();
    return current.async().send(message).whenComplete((reply, error) -> {
      if (error != null && breaksTheClient(error)) {
        replace(current);
      }
    }).thenApply(RatisConsensus::result);
  }

  /** After these, Ratis' ordered client refuses every further request. */
  private static boolean breaksTheClient(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof AlreadyClosedException || t instanceof RaftRetryFailureException) {
        return true;
      }
    }
    return false;
  }

  private void replace(RaftClient broken) {
    if (closed) {
      return;
    }
    RaftClient fresh = clients.get();
    if (client.compareAndSet(broken, fresh)) {
      log.warn("member {}: a request ran out of retries (no Raft leader for a while); replacing the Raft client", self);
      admin.execute(() -> closeQuietly(broken));
    } else {
      closeQuietly(fresh);
    }
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(client.get());
  }

  private static void closeQuietly(RaftClient c) {
    try {
      c.close();
    } catch (IOException | RuntimeException e) {
      log.debug("closing a Raft client failed: {}", e.toString());
    }
  }

  private static ApplyResult result(RaftClientReply reply) {
    if (!reply.isSuccess()) {
      throw new CompletionException(reply.getException() != null ? reply.getException()
          : new IOException("request failed without an exception"));
    }
    return Codec.decodeResult(reply.getMessage().getContent().toByteArray());
  }

  @Override
  public void placeLeaderAwayFrom(MemberId primary) {
    admin.execute(() -> {
      try {
        reweigh(primary);
        handOverIfLeading(primary);
      } catch (IOException | RuntimeException e) {
        log.warn("member {}: could not steer Raft leadership away from primary {}: {}", self, primary, e.toString());
      }
    });
  }

  private void reweigh(MemberId primary) throws IOException {
    Collection<RaftPeer> current = division.get().getRaftConf().getCurrentPeers();
    boolean changed = false;
    List<RaftPeer> next = new ArrayList<>();
    for (RaftPeer peer : current) {
      int wanted = priority(MemberId.of(peer.getId().toString()), primary);
      changed |= peer.getPriority() != wanted;
      next.add(RaftPeer.newBuilder(peer).setPriority(wanted).build());
    }
    if (!changed) {
      return;
    }
    RaftClientReply reply = client.get().admin().setConfiguration(SetConfigurationRequest.Arguments.newBuilder()
        .setServersInNewConf(next).setServersInCurrentConf(new ArrayList<>(current))
        .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET).build());
    if (!reply.isSuccess()) {
      throw new IOException("setConfiguration refused: " + reply.getException());
    }
    log.info("member {}: Raft priorities now favour arbiters away from primary {}", self, primary);
  }

  private void handOverIfLeading(MemberId primary) throws IOException {
    if (!division.get().getInfo().isLeader() || !self.equals(primary)) {
      return;
    }
    Optional<RaftPeer> target = division.get().getRaftConf().getCurrentPeers().stream()
        .filter(p -> !p.getId().toString().equals(primary.value()))
        .max((a, b) -> Integer.compare(a.getPriority(), b.getPriority()));
    if (target.isEmpty()) {
      return;
    }
    RaftPeerId to = target.get().getId();
    RaftClientReply reply = client.get().admin().transferLeadership(to, 5_000);
    log.info("member {}: asked Raft to hand leadership to {}: {}", self, to, reply.isSuccess() ? "done" : reply.getException());
  }

  private int priority(MemberId member, MemberId primary) {
    if (member.equals(primary)) {
      return PRIMARY_PRIORITY;
    }
    return kinds.getOrDefault(member, MemberKind.DATA) == MemberKind.WITNESS ? WITNESS_PRIORITY : STANDBY_PRIORITY;
  }
}

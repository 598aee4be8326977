package io.ratisfailover.internal.control;

import io.ratisfailover.MemberId;
import io.ratisfailover.internal.auth.MemberKey;
import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Limits;
import io.ratisfailover.internal.state.MemberRecord;
import io.ratisfailover.internal.state.Origin;
import io.ratisfailover.internal.state.Request;
import java.time.Clock;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Stamps this member's commands with its origin, signs them when the member has a key, and sends
 * them. Sequence numbers are assigned and handed to the (ordered) consensus client under one lock,
 * so they reach the log in order whichever thread submits: the state machine refuses a number that
 * is not new.
 *
 * <p>Incarnations only grow, so that no request of an earlier process can apply once this one has
 * been heard from (review B9). The first is the start time in milliseconds; should the state show a
 * higher one for this member (an earlier process started under a clock that ran ahead, or a member
 * upgraded from random incarnations), this process moves past it.
 */
public final class Submitter {
  private final MemberId self;
  private final Clock clock;
  private final Consensus consensus;
  private final Optional<MemberKey> key;
  private final Set<Long> used = new HashSet<>();
  private long incarnation;
  private long seq;

  /** Unsigned requests: an unauthenticated cluster. */
  public Submitter(MemberId self, long incarnation, Clock clock, Consensus consensus) {
    this(self, incarnation, clock, consensus, Optional.empty());
  }

  public Submitter(MemberId self, long incarnation, Clock clock, Consensus consensus, Optional<MemberKey> key) {
    this.self = self;
    this.incarnation = incarnation;
    this.clock = clock;
    this.consensus = consensus;
    this.key = key;
    used.add(incarnation);
  }

  /** A command sent: its sequence number, and its result once applied. */
  public record Sent(long seq, CompletableFuture<ApplyResult> result) {}

  public synchronized Sent send(Command command) {
    seq++;
    Origin origin = new Origin(self, incarnation, seq, clock.millis());
    Command fitted = Limits.trimmed(command);
    Request request = key.isPresent() ? key.get().sign(origin, fitted) : new Request(origin, fitted);
    return new Sent(seq, consensus.send(request));
  }

  public CompletableFuture<ApplyResult> submit(Command command) {
    return send(command).result();
  }

  /**
   * Moves past an incarnation of this member that the applied {@code state} records and this
   * process never used (a higher one, or ours with a sequence number we never reached: an earlier
   * process started at the same clock reading): otherwise every request of ours would be refused
   * as older.
   */
  public synchronized void observe(ClusterState state) {
    Optional<MemberRecord> record = state.member(self);
    if (record.isEmpty()) {
      return;
    }
    long recorded = record.get().incarnation();
    boolean notOurs = recorded > incarnation || (recorded == incarnation && record.get().seq() > seq);
    if (notOurs && recorded < Long.MAX_VALUE) {
      incarnation = recorded + 1; // the sequence goes on growing: the runtime compares sequence numbers
      used.add(incarnation);
    }
  }

  /** Whether {@code origin} is a command this submitter sent (this process, not an earlier one). */
  public synchronized boolean sent(Origin origin) {
    return origin.member().equals(self) && used.contains(origin.incarnation());
  }

  public MemberId self() {
    return self;
  }
}

package io.ratisfailover.internal.control;

import io.ratisfailover.MemberId;
import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.Command;
import io.ratisfailover.internal.state.Origin;
import io.ratisfailover.internal.state.Request;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;

/**
 * Stamps this member's commands with its origin and sends them. Sequence numbers are assigned
 * and handed to the (ordered) consensus client under one lock, so they reach the log in order
 * whichever thread submits: the state machine refuses a number that is not new.
 */
public final class Submitter {
  private final MemberId self;
  private final long incarnation;
  private final Clock clock;
  private final Consensus consensus;
  private long seq;

  public Submitter(MemberId self, long incarnation, Clock clock, Consensus consensus) {
    this.self = self;
    this.incarnation = incarnation;
    this.clock = clock;
    this.consensus = consensus;
  }

  /** A command sent: its sequence number, and its result once applied. */
  public record Sent(long seq, CompletableFuture<ApplyResult> result) {}

  public synchronized Sent send(Command command) {
    seq++;
    return new Sent(seq, consensus.send(new Request(new Origin(self, incarnation, seq, clock.millis()), command)));
  }

  public CompletableFuture<ApplyResult> submit(Command command) {
    return send(command).result();
  }

  /** Whether {@code origin} is a command this submitter sent (this process, not an earlier one). */
  public boolean sent(Origin origin) {
    return origin.member().equals(self) && origin.incarnation() == incarnation;
  }

  public MemberId self() {
    return self;
  }
}

package io.ratisfailover.sim;

import java.util.SplittableRandom;

/**
 * Links between simulated members: each direction can be cut, and messages take a base latency
 * plus any extra delay and jitter in force, or are lost with the loss probability in force.
 */
final class SimNetwork {
  private static final long BASE_LATENCY_NANOS = 300_000; // 0.3 ms, loopback-like LAN
  private static final long BASE_JITTER_NANOS = 700_000;
  /**
   * How late a late answer is: beyond the lease margin, so that a lease measured from a reply's
   * arrival instead of its sending shows up whenever the primary is lost meanwhile.
   */
  private static final long LATE_REPLY_MIN_NANOS = 400_000_000;
  private static final long LATE_REPLY_MAX_NANOS = 3_000_000_000L;

  private final int size;
  private final int[][] cuts; // cuts[from][to] > 0: the link is cut (counted, faults may overlap)
  private final long[][] slowNanos; // extra latency of one direction (summed, faults may overlap)
  private final SplittableRandom random;
  private final double lateReplyProbability;
  private long extraNanos;
  private long jitterNanos;
  private long replyExtraNanos;
  private final int[] appendsBlocked; // > 0: the node's Raft server receives no appends (counted)
  private final int[] deaf; // > 0: nothing another node initiates reaches the node (counted)
  private double loss;
  private double duplicate;

  SimNetwork(int size, SplittableRandom random, double lateReplyProbability) {
    this.lateReplyProbability = lateReplyProbability;
    this.size = size;
    this.cuts = new int[size][size];
    this.slowNanos = new long[size][size];
    this.appendsBlocked = new int[size];
    this.deaf = new int[size];
    this.random = random;
  }

  boolean up(int from, int to) {
    return from == to || cuts[from][to] == 0;
  }

  /** Both directions work: what a request and its reply need. */
  boolean connected(int a, int b) {
    return up(a, b) && up(b, a);
  }

  void cut(int from, int to, int delta) {
    cuts[from][to] += delta;
    check(from, to);
  }

  private void check(int from, int to) {
    if (cuts[from][to] < 0) {
      throw new IllegalStateException("link " + from + "->" + to + " healed more often than it was cut");
    }
  }

  void partition(java.util.Set<Integer> side, int delta) {
    for (int a = 0; a < size; a++) {
      for (int b = 0; b < size; b++) {
        if (side.contains(a) != side.contains(b)) {
          cuts[a][b] += delta;
          check(a, b);
        }
      }
    }
  }

  void delay(long extra, long jitter) {
    extraNanos = extra;
    jitterNanos = jitter;
  }

  void loss(double probability) {
    loss = probability;
  }

  void duplicate(double probability) {
    duplicate = probability;
  }

  /** Whether a message sent now is lost. */
  boolean lost() {
    return loss > 0 && random.nextDouble() < loss;
  }

  boolean duplicated() {
    return duplicate > 0 && random.nextDouble() < duplicate;
  }

  /** The node's Raft server stops (delta 1) or resumes (delta -1) receiving appends and heartbeats. */
  void blockAppends(int node, int delta) {
    appendsBlocked[node] += delta;
  }

  boolean appendsBlocked(int node) {
    return appendsBlocked[node] > 0 || deaf[node] > 0;
  }

  /**
   * The node accepts no connection (delta 1) or accepts them again (delta -1): a firewall on its
   * Raft port. What it sends on connections it opened itself still flows both ways: as a leader,
   * its appends and their answers; as a client, its requests to another leader.
   */
  void deafen(int node, int delta) {
    deaf[node] += delta;
  }

  /** Whether a request {@code from} opens to {@code to} gets through (client requests, votes). */
  boolean accepts(int from, int to) {
    return from == to || deaf[to] == 0;
  }

  /** Answers to commands get slower by {@code extra} (negative: the slowdown ends). */
  void slowReplies(long extra) {
    replyExtraNanos += extra;
  }

  /** The extra time an answer to a command sent now takes. */
  long replyDelay() {
    long tail = lateReplyProbability > 0 && random.nextDouble() < lateReplyProbability
        ? random.nextLong(LATE_REPLY_MIN_NANOS, LATE_REPLY_MAX_NANOS) : 0;
    return replyExtraNanos + tail;
  }

  /** One direction gets slower by {@code extra} (negative: the slowdown ends). */
  void slow(int from, int to, long extra) {
    slowNanos[from][to] += extra;
  }

  /** The latency of a message from {@code from} to {@code to} sent now. */
  long latency(int from, int to) {
    return latency() + slowNanos[from][to];
  }

  /** The latency of a message on a link without a slowdown of its own. */
  long latency() {
    long jitter = BASE_JITTER_NANOS + jitterNanos;
    return BASE_LATENCY_NANOS + extraNanos + (jitter > 0 ? random.nextLong(jitter) : 0);
  }
}

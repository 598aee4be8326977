package io.ratisfailover.probe;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Open connections per client address, shared by every connection of one server, so that one host
 * holding many connections (a leaking pool, a flood) cannot take the places HAProxy's health
 * checks from other hosts need.
 */
final class ClientCounts {
  private final ConcurrentHashMap<InetAddress, AtomicInteger> open = new ConcurrentHashMap<>();
  private final int limit;

  ClientCounts(int limit) {
    this.limit = limit;
  }

  /** Counts a new connection from {@code client}; false (and not counted) when it already holds the limit. */
  boolean tryOpen(InetAddress client) {
    boolean[] admitted = {false};
    open.compute(client, (k, n) -> {
      AtomicInteger count = n == null ? new AtomicInteger() : n;
      if (count.get() < limit) {
        count.incrementAndGet();
        admitted[0] = true;
      }
      return count.get() == 0 ? null : count;
    });
    return admitted[0];
  }

  /** A connection {@link #tryOpen} admitted was closed. */
  void closed(InetAddress client) {
    open.computeIfPresent(client, (k, n) -> n.decrementAndGet() == 0 ? null : n);
  }

  int limit() {
    return limit;
  }
}

package io.ratisfailover.probe;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The local addresses of the connections the probe opens to itself ({@link SelfWarmUp}): such a
 * connection takes no place under the connection limits and its requests are not counted in the
 * metrics, so the warm-up can never refuse or crowd out a real client, nor show up as one.
 *
 * <p>The warm-up binds its socket before connecting and registers the address in between, so the
 * server always sees it registered when the connection arrives. Only a socket this process bound
 * can have such an address (an IP address of this host and a port the kernel handed to us), so a
 * remote client cannot pass for one; and even if it could, it would gain nothing but its requests
 * going uncounted.
 */
final class OwnConnections {
  private final Set<SocketAddress> open = ConcurrentHashMap.newKeySet();

  void add(InetSocketAddress local) {
    open.add(local);
  }

  void remove(InetSocketAddress local) {
    open.remove(local);
  }

  /** Whether a connection from {@code remote} is one of the probe's own. */
  boolean contains(SocketAddress remote) {
    return remote != null && open.contains(remote);
  }
}

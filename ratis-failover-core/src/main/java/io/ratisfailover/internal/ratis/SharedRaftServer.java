package io.ratisfailover.internal.ratis;

import io.ratisfailover.MemberId;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Ratis server (one port, one storage directory) whose divisions are the groups of several
 * clusters, added and removed while it runs. Each group has its own state machine, log, snapshot
 * and threads for applying: a state machine that fails closes only its own division.
 *
 * <p>Ratis, when it starts, loads every group directory it finds in its storage; this server
 * instead serves only the groups added to it. A group's directory not being served rests in
 * {@code <storage>/parked/}: everything is parked at start (a crash leaves directories behind),
 * a group is moved back into the storage when it is added, and parked again when it is removed.
 * A member's storage check therefore reads the group in {@link #restingStorage()}.
 */
public final class SharedRaftServer implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(SharedRaftServer.class);

  private final RaftPeerId id;
  private final Path storage;
  private final Path parked;
  private final RaftProperties properties;
  private final RaftTlsParameters tls;
  private final Map<RaftGroupId, StateMachine> machines = new ConcurrentHashMap<>();
  /**
   * The address of every peer any group on this server ever listed. Ratis keeps one connection
   * per peer id for the whole server, made with the first address it saw: a second cluster whose
   * member has the same id at another address would get the first one's traffic.
   */
  private final Map<RaftPeerId, String> addresses = new ConcurrentHashMap<>();
  private final ClientId clientId = ClientId.randomId();
  private final AtomicLong callId = new AtomicLong();
  private volatile RaftServer server;

  /** @param properties server properties whose storage directory is {@code storage} */
  public SharedRaftServer(MemberId self, Path storage, RaftProperties properties, RaftTlsParameters tls) {
    this.id = RaftPeerId.valueOf(self.value());
    this.storage = storage;
    this.parked = storage.resolve("parked");
    this.properties = properties;
    this.tls = tls;
  }

  /** Parks every group directory left in the storage, then starts the server with no group. */
  public synchronized void start() throws IOException {
    if (server != null) {
      throw new IllegalStateException("the shared Raft server of " + id + " is already started");
    }
    Files.createDirectories(parked);
    for (RaftGroupId group : groupsIn(storage)) {
      park(group);
    }
    RaftServer s = RaftServer.newBuilder().setServerId(id).setStateMachineRegistry(this::machine)
        .setProperties(properties).setParameters(tls.parameters())
        .setOption(RaftStorage.StartupOption.RECOVER).build();
    try {
      s.start();
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    server = s;
  }

  /** Where the directory of a group that is not served rests: the storage a member checks before it is added. */
  public Path restingStorage() {
    return parked;
  }

  public boolean started() {
    return server != null;
  }

  /**
   * Starts serving {@code group} (a blank one is formatted; its peers list is used only then, a
   * stored configuration wins) with its own state machine, and returns its division.
   */
  public synchronized RaftServer.Division add(RaftGroup group, StateMachine machine) throws IOException {
    RaftServer s = running();
    RaftGroupId groupId = group.getGroupId();
    for (RaftPeer peer : group.getPeers()) {
      String known = addresses.getOrDefault(peer.getId(), peer.getAddress());
      if (!known.equals(peer.getAddress())) {
        throw new IllegalArgumentException("member id " + peer.getId() + " at " + peer.getAddress() + " is already"
            + " known to the shared Raft server of " + id + " at " + known + ": member ids must be unique among the"
            + " clusters of one witness (for example prefixed with the cluster name)");
      }
    }
    if (machines.putIfAbsent(groupId, machine) != null) {
      throw new IllegalStateException("group " + groupId + " is already served by " + id);
    }
    try {
      unpark(groupId);
      RaftClientReply reply = s.groupManagement(GroupManagementRequest.newAdd(clientId, id, callId.incrementAndGet(),
          group, false));
      if (!reply.isSuccess()) {
        throw new IOException("adding group " + groupId + " failed: " + reply.getException());
      }
      group.getPeers().forEach(p -> addresses.putIfAbsent(p.getId(), p.getAddress()));
      return s.getDivision(groupId);
    } catch (IOException | RuntimeException e) {
      machines.remove(groupId);
      park(groupId);
      throw e;
    }
  }

  /** Stops serving {@code group} and parks its directory; the other groups go on undisturbed. */
  public synchronized void remove(RaftGroupId groupId) throws IOException {
    RaftServer s = running();
    try {
      RaftClientReply reply = s.groupManagement(GroupManagementRequest.newRemove(clientId, id, callId.incrementAndGet(),
          groupId, false, false));
      if (!reply.isSuccess()) {
        // A division closed by its own failure is still listed and removed; anything else is logged.
        log.warn("member {}: removing group {} from the shared Raft server: {}", id, groupId, reply.getException());
      }
    } finally {
      machines.remove(groupId);
      park(groupId);
    }
  }

  public RaftServer server() {
    return running();
  }

  private RaftServer running() {
    RaftServer s = server;
    if (s == null) {
      throw new IllegalStateException("the shared Raft server of " + id + " is not started");
    }
    return s;
  }

  private StateMachine machine(RaftGroupId groupId) {
    StateMachine m = machines.get(groupId);
    if (m == null) {
      // Only reachable for a group directory that appeared in the storage behind our back.
      throw new IllegalStateException("no cluster of " + id + " uses group " + groupId);
    }
    return m;
  }

  private void park(RaftGroupId groupId) throws IOException {
    move(StoredLog.groupDirectory(storage, groupId), StoredLog.groupDirectory(parked, groupId));
  }

  private void unpark(RaftGroupId groupId) throws IOException {
    move(StoredLog.groupDirectory(parked, groupId), StoredLog.groupDirectory(storage, groupId));
  }

  /** A rename within one file system: a crash leaves the directory whole on one side or the other. */
  private static void move(Path from, Path to) throws IOException {
    if (!Files.exists(from)) {
      return;
    }
    if (Files.exists(to)) {
      throw new IOException("cannot move " + from + " to " + to + ": both exist; keep the newer one and remove the other");
    }
    Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
  }

  private static List<RaftGroupId> groupsIn(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.filter(Files::isDirectory).map(p -> p.getFileName().toString())
          .filter(SharedRaftServer::isUuid).map(name -> RaftGroupId.valueOf(UUID.fromString(name))).toList();
    }
  }

  private static boolean isUuid(String name) {
    try {
      return UUID.fromString(name).toString().equals(name);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  @Override
  public synchronized void close() {
    RaftServer s = server;
    if (s == null) {
      return;
    }
    try {
      s.close();
    } catch (IOException | RuntimeException e) {
      log.warn("member {}: closing the shared Raft server failed: {}", id, e.toString());
    }
  }
}

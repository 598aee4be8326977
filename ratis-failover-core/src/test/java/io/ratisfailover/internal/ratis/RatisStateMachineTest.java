package io.ratisfailover.internal.ratis;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.MemberId;
import io.ratisfailover.internal.state.ApplyResult;
import io.ratisfailover.internal.state.ClusterState;
import io.ratisfailover.internal.state.ClusterStateMachine;
import io.ratisfailover.internal.state.Request;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.SizeInBytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RatisStateMachineTest {
  @TempDir Path dir;

  /**
   * Ratis reinitializes the machine after it installed a leader's snapshot: finding no snapshot
   * then means the state would silently stay the old one while Ratis counts it as the leader's
   * (review B9). It must fail instead.
   */
  @Test
  void reinitializingWithoutAnInstalledSnapshotFailsLoudly() throws IOException {
    try (RaftStorage storage = RaftStorage.newBuilder().setDirectory(dir.toFile())
        .setOption(RaftStorage.StartupOption.FORMAT).setStorageFreeSpaceMin(SizeInBytes.ONE_KB).build()) {
      storage.initialize();
      RatisStateMachine machine = new RatisStateMachine(MemberId.of("w1"), new ClusterStateMachine(), new NoEvents());
      machine.initialize(serverNamed("w1"), RaftGroupId.valueOf(UUID.randomUUID()), storage);
      machine.pause();

      assertThatThrownBy(machine::reinitialize).isInstanceOf(IOException.class)
          .hasMessageContaining("w1").hasMessageContaining("no snapshot");
    }
  }

  /** The machine only asks its server for the id (to name itself in logs). */
  private static RaftServer serverNamed(String id) {
    return (RaftServer) Proxy.newProxyInstance(RaftServer.class.getClassLoader(), new Class<?>[] {RaftServer.class},
        (proxy, method, args) -> {
          if (method.getName().equals("getId")) {
            return RaftPeerId.valueOf(id);
          }
          throw new UnsupportedOperationException(method.getName());
        });
  }

  private static final class NoEvents implements StateMachineEvents {
    @Override public void loaded(ClusterState state, long index) {}
    @Override public void applied(long index, Request request, ApplyResult result, ClusterState state) {}
    @Override public void leadership(boolean leader) {}
    @Override public void leaderChanged(Optional<MemberId> leader) {}
  }
}

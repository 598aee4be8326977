package io.ratisfailover.ratis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ratisfailover.AdminRejectedException;
import io.ratisfailover.Epoch;
import io.ratisfailover.FailoverMember;
import io.ratisfailover.MemberId;
import io.ratisfailover.SwitchoverRequest;
import io.ratisfailover.Timing;
import io.ratisfailover.spi.Fencer;
import io.ratisfailover.spi.Upstream;
import io.ratisfailover.spi.Watchdog;
import io.ratisfailover.testing.Await;
import io.ratisfailover.testing.LocalCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The extra fences around a change of primary, on real members. */
class FencingHooksTest {
  static final Duration PATIENCE = Duration.ofSeconds(30);

  @TempDir Path dir;

  /** Records every hook call as text, per member. */
  static final class Recorder implements Fencer, Watchdog {
    final MemberId member;
    final List<String> calls = new CopyOnWriteArrayList<>();
    final AtomicBoolean veto = new AtomicBoolean();

    Recorder(MemberId member) {
      this.member = member;
    }

    @Override public void afterLocalFence(MemberId self, Epoch lostEpoch, String reason) {
      calls.add("fenced " + lostEpoch);
    }

    @Override public void beforePromote(MemberId self, Epoch epoch, Optional<Upstream> previous) throws FenceFailedException {
      calls.add("before promote " + epoch + " after " + previous.map(u -> u.member().value()).orElse("nobody"));
      if (veto.get()) {
        throw new FenceFailedException("STONITH of " + previous.map(u -> u.member().value()).orElse("?") + " failed", null);
      }
    }

    /** Every deadline the watchdog was given, as the lease time left at the call. */
    final List<Duration> deadlines = new CopyOnWriteArrayList<>();

    @Override public void arm(Duration remaining) {
      deadlines.add(remaining);
      calls.add("arm");
    }

    @Override public void keepAlive(Duration remaining) {
      deadlines.add(remaining);
      if (!calls.isEmpty() && calls.get(calls.size() - 1).equals("keep alive")) {
        return;
      }
      calls.add("keep alive");
    }

    @Override public void disarm() {
      calls.add("disarm");
    }
  }

  @Test
  void hooksRunAroundASwitchoverAndAVetoStopsAPromotion() {
    Map<MemberId, Recorder> recorders = new ConcurrentHashMap<>();
    try (LocalCluster cluster = LocalCluster.threeMembers("orders", dir, Timing.defaults())
        .hooks(id -> recorders.computeIfAbsent(id, Recorder::new), id -> recorders.computeIfAbsent(id, Recorder::new))
        .startAll()) {
      FailoverMember first = Await.value("a serving primary", PATIENCE, () -> cluster.servingPrimary().orElse(null));
      Recorder old = recorders.get(first.id());
      Await.until("the watchdog kept alive", PATIENCE, () -> old.calls.contains("keep alive"));
      assertThat(old.calls).startsWith("arm");
      // The deadline is the lease's end, which runs from the renewal's send time: by the time an
      // answer arrives, less than the full lease (ttl - lease_margin = 2500 ms) is left.
      assertThat(old.deadlines).allSatisfy(d -> assertThat(d).isPositive().isLessThan(Duration.ofMillis(2500)));

      MemberId other = MemberId.of(first.id().value().equals("pg1") ? "pg2" : "pg1");
      Await.until(other + " reported streaming", PATIENCE, () -> cluster.member("w1").cluster().member(other)
          .flatMap(v -> v.status()).map(st -> st.isReplica()).orElse(false));
      cluster.member("w1").switchover(SwitchoverRequest.to(other), PATIENCE);
      Await.until("the old primary's hooks ran", PATIENCE, () -> old.calls.contains("fenced 1") && old.calls.contains("disarm"));
      assertThat(recorders.get(other).calls).contains("before promote 2 after " + first.id());

      // The next promotion is vetoed: the candidate keeps its database read-only until the veto lifts.
      old.veto.set(true);
      Await.until(first.id() + " reported streaming", PATIENCE, () -> cluster.member("w1").cluster().member(first.id())
          .flatMap(v -> v.status()).map(st -> st.isReplica()).orElse(false));
      assertThatThrownBy(() -> cluster.member("w1").switchover(SwitchoverRequest.to(first.id()), Duration.ofSeconds(4)))
          .isInstanceOfSatisfying(AdminRejectedException.class,
              e -> assertThat(e.reason()).isEqualTo(AdminRejectedException.Reason.TIMED_OUT));
      assertThat(cluster.database(first.id().value()).isWritable()).isFalse();
      assertThat(old.calls).contains("before promote 3 after " + other);
      old.veto.set(false);
      Await.until(first.id() + " promoted once the fence went up", PATIENCE,
          () -> cluster.servingPrimary().map(m -> m.id().equals(first.id())).orElse(false), cluster::describe);
    }
  }
}

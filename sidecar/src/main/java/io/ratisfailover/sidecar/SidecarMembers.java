package io.ratisfailover.sidecar;

import io.ratisfailover.FailoverMember;
import io.ratisfailover.postgres.PgPool;
import io.ratisfailover.postgres.PostgresAdapter;
import io.ratisfailover.spi.Watchdog;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/** Builds the failover member a sidecar configuration describes. */
final class SidecarMembers {
  private SidecarMembers() {}

  /**
   * @param rejoin re-add the member to the Raft group after its storage was lost ({@link FailoverMember.Builder#rejoin})
   * @param callbacks told about role changes on the agent's thread, where they only queue the configured commands
   */
  static FailoverMember build(SidecarConfig.Plan plan, PostgresAdapter adapter, boolean rejoin, Watchdog watchdog,
      RoleCallbacks callbacks) {
    FailoverMember.Builder b = FailoverMember.builder()
        .clusterName(plan.cluster()).memberId(plan.member()).peers(plan.peers())
        .storageDirectory(plan.raftStorage()).snapshotEvery(plan.snapshotEvery())
        .timing(plan.timing()).initialSettings(plan.settings()).tags(plan.tags())
        .database(new CallbackDatabase(adapter, callbacks)).rejoin(rejoin).watchdog(watchdog)
        .roleListener(callbacks);
    plan.pgpool().ifPresent(p -> b.roleListener(new PgPool(p.config()).onPromotion(p.nodeId(), pgpoolThread(plan))));
    if (plan.raftBindHost() != null) {
      b.raftBindHost(plan.raftBindHost());
    }
    plan.raftTls().ifPresentOrElse(b::raftTls, b::insecureRaft);
    b.apiUrl(plan.apiUrl());
    return b.build();
  }

  /**
   * Where the PgPool-II action runs: its own thread, so that PCP calls never hold up the agent
   * (role listeners run on the agent's thread); a daemon, as the action is bounded by its timeout.
   */
  private static Executor pgpoolThread(SidecarConfig.Plan plan) {
    return Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "member-" + plan.member() + "-pgpool");
      t.setDaemon(true);
      return t;
    });
  }
}

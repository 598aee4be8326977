package io.ratisfailover.sidecar;

import io.ratisfailover.FailoverMember;
import io.ratisfailover.postgres.PostgresAdapter;
import io.ratisfailover.spi.Watchdog;

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
    if (plan.raftBindHost() != null) {
      b.raftBindHost(plan.raftBindHost());
    }
    plan.raftTls().ifPresentOrElse(b::raftTls, b::insecureRaft);
    b.apiUrl(plan.apiUrl());
    return b.build();
  }
}

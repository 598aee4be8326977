package io.ratisfailover.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.internal.control.AgentPolicy;
import io.ratisfailover.internal.control.BrokenAgents;
import org.junit.jupiter.api.Test;

/**
 * Schedules the properties found, shrunk by hand to the fault that matters, each kept as a story
 * that must stay safe. Each names the review finding (docs: reviews/safety.md) it reproduces.
 */
class FoundSchedulesTest {
  /**
   * B4, fence-on-boot: pg1's agent is killed (its database keeps running as primary) and comes back
   * ten seconds later, cut off from the others for 200 ms. Meanwhile pg2 was elected and promoted;
   * the restarted agent has no lease and waits for the boot barrier before it looks at its database,
   * which stays writable next to pg2's (W1). No watchdog on these hosts.
   */
  @Test
  void anAgentRestartedNextToANewPrimaryFencesItsWritableDatabase() {
    assertSafe("seed=105 rates=1.0,1.0,1.0 watchdog=off faults=agentcrash(0,6000,10000,200)");
  }

  /**
   * B1: pg1's database hangs, its status turns UNKNOWN, an operator asks for a switchover; the agent
   * releases without fencing because UNKNOWN is "not running", pg2 is promoted, and when pg1's
   * database thaws it accepts writes next to pg2's until pg1's agent notices (W1).
   */
  @Test
  void aSwitchoverAwayFromAHungDatabaseFencesItBeforeReleasing() {
    assertSafe("seed=16 rates=1.0,1.0,1.0 watchdog=off faults=dbhang(0,8000,4000);switchover(2,9600)");
  }

  /**
   * B2: pg2 is elected for epoch 2 and starts promoting; the promotion takes a while inside the
   * database and pg2's process is paused meanwhile for 3.7 s. Epoch 3 is elected in between; when
   * pg2 thaws its promotion goes through, for epoch 2 after epoch 3 (S3): the lease was checked
   * only before the call, not right before the database became writable.
   */
  @Test
  void aPromotionThatOutlivesItsLeaseNeverMakesTheDatabaseWritable() {
    assertSafe("seed=0 rates=0.99000,0.99000,0.99000 sync=off watchdog=on faults=dbcrash(0,6000);pause(1,6327,3707);crash(0,9244,296)");
  }

  /**
   * The lease counts from the renewal's sending: here every answer arrives 1.5 s late and then pg1
   * is cut off; measured from the late answer's arrival its lease would outlive the arbiter's wait (S1).
   */
  @Test
  void aLateRenewalAnswerNeverMakesTheLeaseOutliveTheArbitersWait() {
    assertSafe("seed=16 rates=1.0,1.0,1.0 watchdog=on faults=slowreplies(6000,10000,1500);partition(0,8000,6000)");
  }

  /**
   * S4: pg1 sent a record naming pg2 whose answer was lost, then narrowed its synchronous_standby_names
   * as pg2 stopped streaming; the record applied late, named pg2 although pg1 no longer waited for it,
   * and pg2 was elected without commits pg1 had acknowledged. Five members, synchronous mode.
   */
  @Test
  void aLateRecordOfASynchronousStandbyNeverOutlivesTheSettingItDescribed() {
    assertSafe(SimConfig.fiveMembers(), "seed=10934 rates=0.99022,0.99130,0.99002,0.99045,0.99005 sync=on watchdog=on"
        + " faults=oneway(4,2,6000,100);slowreplies(6110,1157,1994);snapshot(2,6272);flap(0,35999,12000,10);"
        + "flap(0,35999,11999,800);noappends(1,35999,501)");
  }

  /**
   * S4: pg1's records of its synchronous standbys timed out one after another ([pg3], then []);
   * seeing only the newest as possibly applying, it narrowed synchronous_standby_names to pg2, the
   * older record naming pg3 applied late, and pg3 was elected without commits pg1 had acknowledged.
   * Found by FiveMemberSafetyProperties once the cluster-settings operation shifted the timing.
   */
  @Test
  void everySynchronousRecordStillInFlightCountsBeforeTheSettingNarrows() {
    assertSafe(SimConfig.fiveMembers(), "seed=-1169 rates=0.99937,0.99000,1.00000,0.99203,0.99065 sync=on watchdog=off"
        + " faults=agentcrash(1,6001,9999,9999);noappends(4,6003,11049);flap(2,6019,3655,240);crash(4,6021,252);"
        + "snapshot(0,6039);oneway(3,4,6687,8075);slowin(2,7283,1375,1814);snapshot(1,24836);agentcrash(1,35380,6156,0)");
  }

  /**
   * W1: a switchover's clean stop was under way when pg1's agent died; the agent had disarmed the
   * watchdog as it began fencing, so nothing stopped the database, which stayed writable next to pg2.
   */
  @Test
  void anAgentThatDiesWhileFencingLeavesItsDatabaseGuarded() {
    assertSafe("seed=0 rates=0.99000,0.99000,0.99000 sync=on watchdog=on faults=switchover(1,6027);"
        + "agentcrash(0,6030,2609,0);agentcrash(0,6034,908,0);slowreplies(11388,1023,300);switchover(0,36000)");
  }

  /** W1: pg1's agent restarted next to a hung server; when it thawed it took writes next to pg2's. */
  @Test
  void anAgentRestartedNextToAHungServerFencesIt() {
    assertSafe(SimConfig.fiveMembers(), "seed=0 rates=0.99000,0.99000,0.99000,0.99000,0.99000 sync=on watchdog=off"
        + " faults=agentcrash(0,6000,1641,0);crash(0,6000,200);dbhang(0,6000,7999);oneway(0,3,6001,10000);"
        + "dbhang(0,6001,101);slowin(1,6030,1021,301);pause(1,6614,1678);slowlink(0,3,8237,843,116);oneway(1,2,35999,100)");
  }

  /** The check sees the bug this schedule was found with: an agent that does not fence on boot fails it, every time. */
  @Test
  void theFenceOnBootScheduleFailsWithoutFenceOnBoot() {
    assertViolates(BrokenAgents.withoutFenceOnBoot(), "seed=105 rates=1.0,1.0,1.0 watchdog=off faults=agentcrash(0,6000,10000,200)");
  }

  private static void assertViolates(AgentPolicy broken, String schedule) {
    Simulation.Outcome outcome = QuietLogs.run(new Simulation(SimConfig.threeMembers().withAgentPolicy(broken),
        Schedule.parse(schedule)));
    assertThat(outcome.violations()).as(outcome::report).anyMatch(v -> v.startsWith("W1 at"));
  }

  private static void assertSafe(String schedule) {
    assertSafe(SimConfig.threeMembers(), schedule);
  }

  private static void assertSafe(SimConfig config, String schedule) {
    Simulation.Outcome outcome = QuietLogs.run(new Simulation(config, Schedule.parse(schedule)));
    assertThat(outcome.violations()).as(outcome::report).isEmpty();
  }
}

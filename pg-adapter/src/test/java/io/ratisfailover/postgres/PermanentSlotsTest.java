package io.ratisfailover.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.MemberKind;
import io.ratisfailover.ReplicationSlot;
import io.ratisfailover.Timing;
import io.ratisfailover.postgres.testing.Db;
import io.ratisfailover.postgres.testing.Faults;
import io.ratisfailover.postgres.testing.PgCluster;
import io.ratisfailover.postgres.testing.PgSandbox;
import io.ratisfailover.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Permanent slots declared in the cluster's settings: the primary creates the physical and logical
 * slots declared, when the declaration changes and again after a switchover on the new primary;
 * slots it did not create for members (undeclared, or someone else's) are never dropped.
 */
class PermanentSlotsTest {
  private static final Duration WAIT = Duration.ofSeconds(90);

  @RegisterExtension
  static final PgSandbox pg = new PgSandbox();

  static PgCluster logicalCluster(String name) {
    return new PgCluster(pg, name, Timing.defaults(), ClusterSettings.DEFAULT,
        Map.of("pg1", MemberKind.DATA, "pg2", MemberKind.DATA, "w1", MemberKind.WITNESS),
        b -> b.serverParameter("wal_level", "logical").serverParameter("hot_standby_feedback", "on"));
  }

  /** The slots that are not members' own, as name:type; the error while the server cannot answer. */
  static List<String> slots(PgCluster c, String member) {
    try {
      return Db.column(c.postgres(member), "SELECT slot_name || ':' || slot_type FROM pg_replication_slots"
          + " WHERE slot_name NOT LIKE 'rf\\_%' ORDER BY slot_name");
    } catch (java.sql.SQLException e) {
      return List.of(e.getMessage());
    }
  }

  @Test
  void thePrimaryCreatesDeclaredSlotsAndTheNewPrimaryDoesAfterASwitchover() throws Exception {
    PgCluster c = logicalCluster("slots").startAll();
    String primary = Faults.awaitSteady(c, WAIT);
    String standby = Faults.other(primary);
    Db.execute(c.postgres(primary), "SELECT pg_create_physical_replication_slot('someone_else')");

    c.member("w1").updateSettings(s -> s.withPostgresql(s.postgresql().withSlots(Map.of(
        "archiver", ReplicationSlot.physical(), "cdc", ReplicationSlot.logical("postgres", "pgoutput")))));
    Await.until("declared slots on " + primary, WAIT,
        () -> slots(c, primary).equals(List.of("archiver:physical", "cdc:logical", "someone_else:physical")),
        () -> slots(c, primary) + " " + c.describe());
    // A physical permanent slot reserves WAL from the start, as the members' own slots do.
    assertThat(Db.value(c.postgres(primary), "SELECT restart_lsn IS NOT NULL FROM pg_replication_slots"
        + " WHERE slot_name = 'archiver'")).isEqualTo("t");

    c.switchover(primary, WAIT);
    Await.until(standby + " serving", WAIT, () -> c.servingPrimary().filter(standby::equals).isPresent(), c::describe);
    Await.until("declared slots on the new primary " + standby, WAIT,
        () -> slots(c, standby).equals(List.of("archiver:physical", "cdc:logical")),
        () -> slots(c, standby) + " " + c.describe());

    // No longer declared: left alone (the operator drops it); a newly declared one is created.
    c.member("w1").updateSettings(s -> s.withPostgresql(s.postgresql().withSlots(Map.of(
        "cdc", ReplicationSlot.logical("postgres", "pgoutput"), "backup", ReplicationSlot.physical()))));
    Await.until("backup slot on " + standby, WAIT,
        () -> slots(c, standby).equals(List.of("archiver:physical", "backup:physical", "cdc:logical")),
        () -> slots(c, standby) + " " + c.describe());
  }
}

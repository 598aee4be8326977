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
    return new PgCluster(pg, name, Timing.conservative().build(), ClusterSettings.DEFAULT,
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
    // The standby took the declaration (its copy of the logical slot is the last step): from here on
    // only the promotion itself can create the physical slot on it.
    Await.until("the copy of cdc on " + standby, WAIT, () -> slots(c, standby).equals(List.of("cdc:logical")),
        () -> slots(c, standby) + " " + c.describe());

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

  /**
   * A logical subscriber on a third server, through the declared slot: rows flow; the standby keeps
   * a copy of the slot, advanced behind the primary's; rows written while the subscriber is away
   * and after a switchover arrive once it is pointed at the new primary, none lost, none twice.
   */
  @Test
  void aLogicalSubscriberContinuesOnTheNewPrimaryWithoutLosingRows() throws Exception {
    PgCluster c = logicalCluster("logical").startAll();
    String primary = Faults.awaitSteady(c, WAIT);
    String standby = Faults.other(primary);
    Db.execute(c.postgres(primary), "CREATE TABLE items (id int PRIMARY KEY)");
    Db.execute(c.postgres(primary), "CREATE PUBLICATION items_pub FOR TABLE items");
    c.member("w1").updateSettings(s -> s.withPostgresql(s.postgresql().withSlots(Map.of(
        "cdc", ReplicationSlot.logical("postgres", "pgoutput")))));
    for (String id : List.of(primary, standby)) {
      Await.until("slot cdc on " + id, WAIT, () -> slots(c, id).contains("cdc:logical"),
          () -> slots(c, id) + " " + c.describe());
    }

    PostgresConfig subscriber = pg.config(pg.copyOfTemplate("subscriber")).build();
    pg.adapter("subscriber", subscriber).startPrimary(PgSandbox.topology(1));
    Db.execute(subscriber, "CREATE TABLE items (id int PRIMARY KEY)");
    Db.execute(subscriber, "CREATE SUBSCRIPTION items_sub CONNECTION " + conninfo(c.postgres(primary))
        + " PUBLICATION items_pub WITH (create_slot = false, slot_name = 'cdc', copy_data = false)");
    insert(c.postgres(primary), 1, 100);
    awaitRows(subscriber, 100, c);

    // The standby's copy follows the primary's confirmed position.
    String confirmed = Db.value(c.postgres(primary), "SELECT confirmed_flush_lsn FROM pg_replication_slots"
        + " WHERE slot_name = 'cdc'");
    Await.until("the standby's copy of cdc at " + confirmed, WAIT, () -> "t".equals(Db.valueOrNull(c.postgres(standby),
        "SELECT confirmed_flush_lsn >= '" + confirmed + "' FROM pg_replication_slots WHERE slot_name = 'cdc'")),
        () -> Db.valueOrNull(c.postgres(standby), "SELECT confirmed_flush_lsn FROM pg_replication_slots"));

    // Rows the subscriber has not received when the primary changes: they must come from the copy.
    Db.execute(subscriber, "ALTER SUBSCRIPTION items_sub DISABLE");
    Await.until("the subscriber let go of cdc", WAIT, () -> "f".equals(Db.valueOrNull(c.postgres(primary),
        "SELECT active FROM pg_replication_slots WHERE slot_name = 'cdc'")), c::describe);
    insert(c.postgres(primary), 101, 150);

    c.switchover(primary, WAIT);
    Await.until(standby + " serving", WAIT, () -> c.servingPrimary().filter(standby::equals).isPresent(), c::describe);
    Db.execute(subscriber, "ALTER SUBSCRIPTION items_sub CONNECTION " + conninfo(c.postgres(standby)));
    Db.execute(subscriber, "ALTER SUBSCRIPTION items_sub ENABLE");
    insert(c.postgres(standby), 151, 200);
    awaitRows(subscriber, 200, c);
    assertThat(Db.value(subscriber, "SELECT count(DISTINCT id) || ' ' || min(id) || ' ' || max(id) FROM items"))
        .isEqualTo("200 1 200");
  }

  private static void insert(PostgresConfig server, int from, int to) throws java.sql.SQLException {
    Db.execute(server, "INSERT INTO items SELECT generate_series(" + from + ", " + to + ")");
  }

  private static void awaitRows(PostgresConfig subscriber, int rows, PgCluster c) {
    Await.until(rows + " rows on the subscriber", WAIT,
        () -> String.valueOf(rows).equals(Db.valueOrNull(subscriber, "SELECT count(*) FROM items")),
        () -> Db.valueOrNull(subscriber, "SELECT count(*) FROM items") + " rows; " + c.describe());
  }

  /** A libpq conninfo for {@code server} as its superuser, quoted as an SQL literal. */
  private static String conninfo(PostgresConfig server) {
    String password = server.superuser().password().replace("\\", "\\\\").replace("'", "\\'");
    String conninfo = "host=" + server.localHost() + " port=" + server.port() + " dbname=postgres user="
        + server.superuser().user() + " password='" + password + "'";
    return "'" + conninfo.replace("'", "''") + "'";
  }
}

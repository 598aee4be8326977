package io.ratisfailover.postgres;

import static io.ratisfailover.postgres.AdapterContext.STATEMENT;
import static io.ratisfailover.postgres.AdapterContext.log;

import io.ratisfailover.ReplicationSlot;
import io.ratisfailover.postgres.internal.Jdbc;
import io.ratisfailover.postgres.internal.LocalDatabase;
import io.ratisfailover.spi.DatabaseException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The cluster's permanent replication slots on this member (Patroni's {@code slots}): the primary
 * creates each declared slot that it lacks, after a promotion and whenever the declaration changes.
 * It never drops one: a slot that is no longer declared, or that someone else made, belongs to the
 * operator (only the members' own {@code rf_*} slots are the adapter's to drop, in
 * {@link PrimarySetup}). A logical slot is created in its database with its output plugin, which
 * needs {@code wal_level = logical}.
 */
final class PermanentSlots {
  private final AdapterContext ctx;
  private final LocalDatabase local;
  /** The declaration last applied: written on the database thread, read there and by the slot-copy thread. */
  private volatile Map<String, ReplicationSlot> declared = Map.of();

  PermanentSlots(AdapterContext ctx) {
    this.ctx = ctx;
    this.local = ctx.local;
  }

  void declare(Map<String, ReplicationSlot> slots) {
    declared = Map.copyOf(slots);
  }

  Map<String, ReplicationSlot> declared() {
    return declared;
  }

  /**
   * Creates the declared slots the running primary lacks. Does nothing on a standby.
   *
   * @throws DatabaseException naming each slot that could not be created (a missing database, a
   *     {@code wal_level} below logical), after trying all of them
   */
  void createMissing() throws DatabaseException {
    Map<String, ReplicationSlot> wanted = declared;
    if (wanted.isEmpty() || ctx.postmaster.running().isEmpty()) {
      return;
    }
    Map<String, String> present = local.call("list the replication slots", STATEMENT, c -> {
      try (Statement s = c.createStatement()) {
        try (ResultSet r = s.executeQuery("SELECT pg_is_in_recovery()")) {
          r.next();
          if (r.getBoolean(1)) {
            return null;
          }
        }
        Map<String, String> slots = new HashMap<>();
        try (ResultSet r = s.executeQuery("SELECT slot_name, slot_type FROM pg_replication_slots")) {
          while (r.next()) {
            slots.put(r.getString(1), r.getString(2));
          }
        }
        return slots;
      }
    });
    if (present == null) {
      return;
    }
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, ReplicationSlot> e : wanted.entrySet()) {
      String name = e.getKey();
      ReplicationSlot slot = e.getValue();
      String type = present.get(name);
      if (type != null) {
        if (!type.equals(slot.isLogical() ? "logical" : "physical")) {
          log.warn("member {} epoch {}: slot {} exists as a {} slot, not as declared; left alone", ctx.self,
              ctx.epoch(), name, type);
        }
        continue;
      }
      try {
        create(name, slot);
        log.info("member {} epoch {}: created the cluster's permanent {} slot {}", ctx.self, ctx.epoch(),
            slot.isLogical() ? "logical" : "physical", name);
      } catch (SQLException | DatabaseException ex) {
        problems.add("slot " + name + ": " + ex.getMessage().lines().findFirst().orElse(""));
      }
    }
    if (!problems.isEmpty()) {
      throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "could not create the cluster's permanent slots: "
          + String.join("; ", problems));
    }
  }

  private void create(String name, ReplicationSlot slot) throws SQLException, DatabaseException {
    if (!slot.isLogical()) {
      local.call("create slot " + name, STATEMENT, c -> {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_create_physical_replication_slot(?, true)")) {
          ps.setString(1, name);
          ps.execute();
        }
        return null;
      });
      return;
    }
    // A logical slot belongs to one database: it is created over a session in that database.
    PostgresConfig config = ctx.config;
    try (Connection c = Jdbc.open(config.localHost(), config.port(), slot.database().orElseThrow(),
        Jdbc.properties(config.superuser(), config.connectTimeout(), STATEMENT.plusSeconds(5), STATEMENT,
            "ratis-failover agent"));
        PreparedStatement ps = c.prepareStatement("SELECT pg_create_logical_replication_slot(?, ?)")) {
      ps.setString(1, name);
      ps.setString(2, slot.plugin().orElseThrow());
      ps.execute();
    }
  }
}

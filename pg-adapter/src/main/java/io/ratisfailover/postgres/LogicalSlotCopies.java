package io.ratisfailover.postgres;

import static io.ratisfailover.postgres.AdapterContext.STATEMENT;
import static io.ratisfailover.postgres.AdapterContext.log;

import io.ratisfailover.Lsn;
import io.ratisfailover.ReplicationSlot;
import io.ratisfailover.postgres.internal.Jdbc;
import io.ratisfailover.postgres.internal.ServerFiles;
import io.ratisfailover.postgres.internal.UpstreamServer;
import io.ratisfailover.spi.DatabaseException;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A standby's copies of the cluster's declared logical slots, so that a logical subscriber finds
 * its slot, at a position it has not passed, on whichever member is promoted. PostgreSQL 15 and 16
 * cannot create a logical slot on a standby, so (as Patroni does) the standby copies the slot's
 * state file from its upstream ({@code pg_read_binary_file}) into {@code pg_replslot} and loads it
 * with a restart; then it advances each copy with {@code pg_replication_slot_advance} to the
 * upstream's {@code confirmed_flush_lsn}, never past its own replay position (PostgreSQL clamps
 * it there too), read from the upstream over a superuser connection once a second.
 *
 * <p>Needs {@code wal_level = logical} and {@code hot_standby_feedback = on} on every member: the
 * feedback makes the primary keep the catalog rows the copies still need to decode from.
 */
final class LogicalSlotCopies implements AutoCloseable {
  private static final long ADVANCE_EVERY_MILLIS = 1000;

  private final AdapterContext ctx;
  private final ServerControl control;
  private final PermanentSlots permanent;
  private volatile Optional<UpstreamServer> upstream = Optional.empty();
  private ScheduledExecutorService advancer;

  LogicalSlotCopies(AdapterContext ctx, ServerControl control, PermanentSlots permanent) {
    this.ctx = ctx;
    this.control = control;
    this.permanent = permanent;
  }

  /** The server this standby now follows (empty: none, or this member is not a standby). */
  synchronized void follow(Optional<UpstreamServer> up) {
    upstream = up;
    if (up.isPresent() && advancer == null) {
      advancer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ratis-failover-" + ctx.self + "-slot-copies");
        t.setDaemon(true);
        return t;
      });
      advancer.scheduleWithFixedDelay(this::advanceQuietly, ADVANCE_EVERY_MILLIS, ADVANCE_EVERY_MILLIS,
          TimeUnit.MILLISECONDS);
    }
  }

  private Map<String, ReplicationSlot> logicalDeclared() {
    Map<String, ReplicationSlot> out = new HashMap<>();
    permanent.declared().forEach((name, slot) -> {
      if (slot.isLogical()) {
        out.put(name, slot);
      }
    });
    return out;
  }

  /**
   * Copies the declared logical slots this data directory lacks from {@code up}, with the server
   * stopped (it loads them when it starts).
   *
   * @return the slots still missing (not yet on the upstream)
   */
  List<String> copyMissing(ServerFiles files, UpstreamServer up) throws DatabaseException {
    List<String> missing = new ArrayList<>();
    Map<String, ReplicationSlot> wanted = logicalDeclared();
    if (wanted.isEmpty()) {
      return missing;
    }
    Map<String, Lsn> theirs = up.logicalSlots();
    for (String name : wanted.keySet()) {
      if (files.hasSlot(name)) {
        continue;
      }
      if (!theirs.containsKey(name)) {
        missing.add(name);
        continue;
      }
      try {
        files.writeSlotState(name, up.slotState(name));
      } catch (IOException e) {
        throw AdapterContext.io("write a copy of slot " + name, e);
      }
      log.info("member {} epoch {}: copied logical slot {} from {} (at {})", ctx.self, ctx.epoch(), name,
          up.describe(), theirs.get(name));
    }
    return missing;
  }

  /**
   * On a running standby: copies the declared logical slots it lacks and restarts it to load them.
   *
   * @throws DatabaseException TRANSIENT while a declared slot is not on the upstream yet (the
   *     primary creates it), so that the caller tries again
   */
  void copyMissingAndRestart() throws DatabaseException {
    Optional<UpstreamServer> up = upstream;
    ServerFiles files = ctx.environment().files();
    Map<String, ReplicationSlot> wanted = logicalDeclared();
    if (up.isEmpty() || wanted.isEmpty() || ctx.postmaster.running().isEmpty()
        || wanted.keySet().stream().allMatch(files::hasSlot) || !ctx.local.observe(STATEMENT).inRecovery()) {
      return;
    }
    long lacking = wanted.keySet().stream().filter(n -> !files.hasSlot(n)).count();
    List<String> missing = copyMissing(files, up.get());
    if (missing.size() < lacking) {
      log.info("member {} epoch {}: restarting the standby to load the copied logical slots", ctx.self, ctx.epoch());
      control.restart();
    }
    if (!missing.isEmpty()) {
      throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "logical slots " + missing + " are not on "
          + up.get().describe() + " yet; copying them later");
    }
  }

  private void advanceQuietly() {
    try {
      advance();
    } catch (DatabaseException | SQLException | RuntimeException e) {
      // The upstream or this server restarting, a promotion under way: the next round tries again.
      log.debug("member {} epoch {}: advancing the logical slot copies: {}", ctx.self, ctx.epoch(), e.getMessage());
    }
  }

  /** Moves each copy to the upstream's confirmed position, never past this standby's replay position. */
  void advance() throws DatabaseException, SQLException {
    Optional<UpstreamServer> up = upstream;
    Map<String, ReplicationSlot> wanted = logicalDeclared();
    if (up.isEmpty() || wanted.isEmpty() || ctx.postmaster.running().isEmpty()) {
      return;
    }
    Map<String, Lsn> theirs = up.get().logicalSlots();
    PostgresConfig config = ctx.config;
    for (Map.Entry<String, ReplicationSlot> e : wanted.entrySet()) {
      Lsn target = theirs.get(e.getKey());
      if (target == null) {
        continue;
      }
      // pg_replication_slot_advance decodes in the slot's database: a session there.
      try (Connection c = Jdbc.open(config.localHost(), config.port(), e.getValue().database().orElseThrow(),
          Jdbc.properties(config.superuser(), config.connectTimeout(), STATEMENT.plusSeconds(5), STATEMENT,
              "ratis-failover slot copies"));
          PreparedStatement ps = c.prepareStatement("SELECT pg_replication_slot_advance(slot_name,"
              + " least(?::pg_lsn, pg_last_wal_replay_lsn()))::text FROM pg_replication_slots"
              + " WHERE slot_name = ? AND slot_type = 'logical' AND pg_is_in_recovery()"
              + " AND confirmed_flush_lsn < least(?::pg_lsn, pg_last_wal_replay_lsn())")) {
        ps.setString(1, target.toString());
        ps.setString(2, e.getKey());
        ps.setString(3, target.toString());
        try (ResultSet r = ps.executeQuery()) {
          if (r.next()) {
            log.debug("member {} epoch {}: advanced the copy of logical slot {}: {}", ctx.self, ctx.epoch(),
                e.getKey(), r.getString(1));
          }
        }
      }
    }
  }

  @Override
  public synchronized void close() {
    if (advancer != null) {
      advancer.shutdownNow();
    }
  }
}

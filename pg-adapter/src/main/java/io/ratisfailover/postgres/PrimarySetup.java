package io.ratisfailover.postgres;

import static io.ratisfailover.postgres.AdapterContext.STATEMENT;
import static io.ratisfailover.postgres.AdapterContext.io;
import static io.ratisfailover.postgres.AdapterContext.log;
import static io.ratisfailover.postgres.AdapterContext.readQuietly;

import io.ratisfailover.postgres.AdapterContext.Environment;
import io.ratisfailover.postgres.internal.LocalDatabase;
import io.ratisfailover.postgres.internal.ServerConfiguration;
import io.ratisfailover.postgres.internal.ServerFiles;
import io.ratisfailover.postgres.internal.SlotNames;
import io.ratisfailover.spi.DatabaseException;
import io.ratisfailover.spi.PrimaryTopology;
import java.io.IOException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Running as primary: starting a data directory as one, and keeping a running primary's replication
 * slots and {@code synchronous_standby_names} in line with the topology the agent gives (Patroni's
 * {@code slots.py} and {@code sync.py}, for a primary that this member already is).
 */
final class PrimarySetup {
  private final AdapterContext ctx;
  private final ServerControl control;
  private final PermanentSlots permanentSlots;
  private final BackupStanza stanza;

  PrimarySetup(AdapterContext ctx, ServerControl control, PermanentSlots permanentSlots, BackupStanza stanza) {
    this.ctx = ctx;
    this.control = control;
    this.permanentSlots = permanentSlots;
    this.stanza = stanza;
  }

  /** {@link io.ratisfailover.spi.DatabaseAdapter#startPrimary}: a stopped primary starts, a running one is configured. */
  void startPrimary(PrimaryTopology topology) throws DatabaseException {
    ctx.epoch(topology.epoch());
    Environment env = ctx.environment();
    startPrimaryWithin(env, topology, ctx.postmaster.generation(), true);
  }

  /**
   * Starts the stopped data directory as primary (after the lease check), or checks that the running
   * server is one; {@code configure} then brings its slots and synchronous standbys in line.
   */
  void startPrimaryWithin(Environment env, PrimaryTopology topology, long decidedAt, boolean configure)
      throws DatabaseException {
    ServerFiles files = env.files();
    if (!files.hasCluster()) {
      throw new DatabaseException(DatabaseException.Kind.DATA_MISMATCH, "cannot start a primary: " + files.directory()
          + " holds no cluster");
    }
    if (ctx.postmaster.running().isPresent()) {
      LocalDatabase.Observation o = ctx.local.observe(STATEMENT);
      if (o.inRecovery()) {
        throw new DatabaseException(DatabaseException.Kind.FATAL, "cannot start as primary: the database runs as a"
            + " standby; only a promotion may make it writable");
      }
      if (configure) {
        configurePrimary(topology);
      }
      return;
    }
    if (files.exists(ServerFiles.STANDBY_SIGNAL) || files.exists(ServerFiles.RECOVERY_SIGNAL)) {
      throw new DatabaseException(DatabaseException.Kind.FATAL, "cannot start " + files.directory() + " as a primary:"
          + " it is set up as a standby (standby.signal); only a promotion may make it writable");
    }
    control.awaitAllGone(env);
    try {
      ctx.writeServerConfig(files, ServerConfiguration.Role.primary(ctx.syncNames(topology)));
      ctx.writeState(files, Optional.empty());
    } catch (IOException e) {
      throw io("write the primary's configuration", e);
    }
    ctx.requireLease("starting as primary");
    log.info("member {} epoch {}: starting the primary", ctx.self, ctx.epoch());
    control.startServer(env, decidedAt, true);
    if (configure) {
      configurePrimary(topology);
    }
  }

  /**
   * Brings the running primary in line with the topology: a slot for every standby, none left for a
   * former member unless in use, and {@code synchronous_standby_names} in force; and the backup
   * repository's stanza, in the background.
   */
  void configurePrimary(PrimaryTopology topology) throws DatabaseException {
    ctx.epoch(topology.epoch());
    Environment env = ctx.environment();
    if (ctx.postmaster.running().isEmpty()) {
      throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "cannot configure the primary: it is not running");
    }
    Set<String> wantedSlots = new HashSet<>();
    topology.standbys().forEach(m -> wantedSlots.add(SlotNames.of(m)));
    String names = ctx.syncNames(topology);
    boolean reconfigure = ctx.local.call("configure the primary", STATEMENT, c -> {
      try (Statement s = c.createStatement()) {
        try (ResultSet r = s.executeQuery("SELECT pg_is_in_recovery()")) {
          r.next();
          if (r.getBoolean(1)) {
            throw new DatabaseException(DatabaseException.Kind.TRANSIENT, "cannot configure the primary: the database"
                + " is in recovery");
          }
        }
        Map<String, Boolean> slots = new java.util.HashMap<>();
        try (ResultSet r = s.executeQuery("SELECT slot_name, active FROM pg_replication_slots WHERE slot_type = 'physical'")) {
          while (r.next()) {
            slots.put(r.getString(1), r.getBoolean(2));
          }
        }
        for (String slot : wantedSlots) {
          if (!slots.containsKey(slot)) {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_create_physical_replication_slot(?, true)")) {
              ps.setString(1, slot);
              ps.execute();
            } catch (SQLException e) {
              if (!"42710".equals(e.getSQLState())) {
                throw e;
              }
            }
            log.info("member {} epoch {}: created replication slot {}", ctx.self, ctx.epoch(), slot);
          }
        }
        for (Map.Entry<String, Boolean> slot : slots.entrySet()) {
          if (SlotNames.ours(slot.getKey()) && !wantedSlots.contains(slot.getKey()) && !slot.getValue()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
              ps.setString(1, slot.getKey());
              ps.execute();
            }
            log.info("member {} epoch {}: dropped replication slot {} of a former member", ctx.self, ctx.epoch(), slot.getKey());
          }
        }
        try (ResultSet r = s.executeQuery("SELECT current_setting('synchronous_standby_names')")) {
          r.next();
          return !names.equals(r.getString(1));
        }
      }
    });
    String wantedConf = ServerConfiguration.postgresqlConf(ctx.self, ctx.config, ServerConfiguration.Role.primary(names));
    if (reconfigure || !readQuietly(env.files(), "postgresql.conf").filter(wantedConf::equals).isPresent()) {
      try {
        ctx.writeServerConfig(env.files(), ServerConfiguration.Role.primary(names));
      } catch (IOException e) {
        throw io("write the primary's configuration", e);
      }
      control.reloadServer();
      control.awaitSetting("synchronous_standby_names", names, System.nanoTime() + STATEMENT.toNanos());
      log.info("member {} epoch {}: synchronous_standby_names = '{}'", ctx.self, ctx.epoch(), names);
    }
    try {
      permanentSlots.createMissing();
    } catch (DatabaseException e) {
      // Never fails a promotion or a reconfiguration; tried again at the next one and at the next
      // change of the cluster's settings (which retries with backoff while it fails).
      log.warn("member {} epoch {}: {}", ctx.self, ctx.epoch(), e.getMessage());
    }
    stanza.ensure(env);
  }
}

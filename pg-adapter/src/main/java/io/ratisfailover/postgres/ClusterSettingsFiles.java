package io.ratisfailover.postgres;

import io.ratisfailover.ServerParameters;
import io.ratisfailover.postgres.internal.ServerConfiguration;
import io.ratisfailover.postgres.internal.ServerFiles;
import io.ratisfailover.spi.DatabaseException;
import io.ratisfailover.spi.DatabaseStatus;
import java.io.IOException;

/**
 * The cluster-wide PostgreSQL settings on this member: the cluster's parameters in
 * {@link ServerConfiguration#CLUSTER_FILE}, which {@code postgresql.conf} includes before the
 * member's own parameters (so those win), and its {@code pg_hba} lines in
 * {@link ServerConfiguration#CLUSTER_HBA_FILE}, appended to {@code pg_hba.conf} after the adapter's
 * lines. Reloads when a file changed and the server runs; a stopped server reads them at its next
 * start. A parameter that needs a restart then shows as {@link DatabaseStatus#pendingRestart()}.
 * The declared permanent slots are handed to {@link PermanentSlots}, which a primary creates at once;
 * a standby copies the logical ones ({@link LogicalSlotCopies}).
 */
final class ClusterSettingsFiles {
  private final AdapterContext ctx;
  private final ServerControl control;
  private final PermanentSlots slots;
  private final LogicalSlotCopies slotCopies;

  ClusterSettingsFiles(AdapterContext ctx, ServerControl control, PermanentSlots slots, LogicalSlotCopies slotCopies) {
    this.ctx = ctx;
    this.control = control;
    this.slots = slots;
    this.slotCopies = slotCopies;
  }

  void apply(ServerParameters parameters) throws DatabaseException {
    // Remembered even while there is no cluster yet: a later promotion creates them.
    slots.declare(parameters.slots());
    ServerFiles files = ctx.environment().files();
    if (!files.hasCluster()) {
      return;
    }
    boolean changed;
    try {
      changed = writeIfChanged(files, ServerConfiguration.CLUSTER_FILE, ServerConfiguration.clusterConf(ctx.self, parameters));
      changed |= writeIfChanged(files, ServerConfiguration.CLUSTER_HBA_FILE, ServerConfiguration.clusterHba(parameters));
      String hba = ServerConfiguration.pgHbaConf(ctx.self, ctx.config, parameters.pgHba());
      changed |= writeIfChanged(files, "pg_hba.conf", hba);
    } catch (IOException e) {
      throw AdapterContext.io("write the cluster's PostgreSQL settings", e);
    }
    if (changed && ctx.postmaster.running().isPresent()) {
      control.reloadServer();
      AdapterContext.log.info("member {} epoch {}: applied the cluster's PostgreSQL settings ({} parameters, {} pg_hba lines), reloaded",
          ctx.self, ctx.epoch(), parameters.parameters().size(), parameters.pgHba().size());
    }
    // After the reload: a declared logical slot may need the wal_level the new parameters set.
    slots.createMissing();
    // On a standby: copies of the declared logical slots it lacks (a restart loads them).
    slotCopies.copyMissingAndRestart();
  }

  private static boolean writeIfChanged(ServerFiles files, String name, String content) throws IOException {
    if (files.read(name).filter(content::equals).isPresent()) {
      return false;
    }
    files.write(name, content);
    return true;
  }
}

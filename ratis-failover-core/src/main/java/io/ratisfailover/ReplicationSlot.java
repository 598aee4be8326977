package io.ratisfailover;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A permanent replication slot declared for the cluster (Patroni's {@code slots} in the dynamic
 * configuration): whichever member is primary keeps it, so that a consumer outside the cluster (a
 * WAL archiver streaming through a physical slot, a logical subscriber) finds its slot again after
 * a failover.
 *
 * @param type physical or logical
 * @param database for a logical slot, the database it decodes; empty for a physical one
 * @param plugin for a logical slot, the output plugin (for example {@code pgoutput}); empty for a physical one
 */
public record ReplicationSlot(Type type, Optional<String> database, Optional<String> plugin) {

  public enum Type { PHYSICAL, LOGICAL }

  /** Slot names PostgreSQL accepts: lower case letters, digits and underscores, at most 63 characters. */
  private static final Pattern NAME = Pattern.compile("[a-z0-9_]{1,63}");
  /** The prefix of the slots the adapter keeps for members, which the cluster cannot declare. */
  public static final String MEMBER_PREFIX = "rf_";
  private static final Pattern WORD = Pattern.compile("[A-Za-z0-9_.$-]{1,63}");

  public ReplicationSlot {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(plugin, "plugin");
  }

  public static ReplicationSlot physical() {
    return new ReplicationSlot(Type.PHYSICAL, Optional.empty(), Optional.empty());
  }

  public static ReplicationSlot logical(String database, String plugin) {
    return new ReplicationSlot(Type.LOGICAL, Optional.of(database), Optional.of(plugin));
  }

  public boolean isLogical() {
    return type == Type.LOGICAL;
  }

  /** Checks the declaration of slot {@code name}, with a one-line error that names it. */
  static void check(String name, ReplicationSlot slot) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("slots: '" + name + "' is not a slot name (lower case letters, digits and"
          + " '_', at most 63 characters)");
    }
    if (name.startsWith(MEMBER_PREFIX)) {
      throw new IllegalArgumentException("slots." + name + ": names starting with " + MEMBER_PREFIX
          + " are the members' own slots, kept by the adapter");
    }
    if (slot == null) {
      throw new IllegalArgumentException("slots." + name + " has no type");
    }
    if (slot.type == Type.LOGICAL) {
      if (slot.database.isEmpty() || slot.plugin.isEmpty()) {
        throw new IllegalArgumentException("slots." + name + ": a logical slot needs database and plugin");
      }
      for (String word : new String[] {slot.database.get(), slot.plugin.get()}) {
        if (!WORD.matcher(word).matches()) {
          throw new IllegalArgumentException("slots." + name + ": '" + word + "' is not a database or plugin name");
        }
      }
    } else if (slot.database.isPresent() || slot.plugin.isPresent()) {
      throw new IllegalArgumentException("slots." + name + ": a physical slot has no database or plugin");
    }
  }
}

package io.ratisfailover.postgres.internal;

import io.ratisfailover.Lsn;
import io.ratisfailover.MemberId;
import io.ratisfailover.postgres.PostgresConfig;
import io.ratisfailover.spi.DatabaseException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.util.Optional;

/**
 * Another member's server, as a standby or a rewinding member needs it: its identity and timeline
 * history over the replication protocol (with the replication role, which every member may use),
 * its replication slot for this member, and a checkpoint after promotion for {@code pg_rewind}.
 */
public final class UpstreamServer {
  private final MemberId member;
  private final String host;
  private final int port;
  private final PostgresConfig config;
  private final String applicationName;

  /** What {@code IDENTIFY_SYSTEM} says. */
  public record Identity(String systemIdentifier, long timeline, Lsn position) {}

  public UpstreamServer(MemberId member, String host, int port, PostgresConfig config, MemberId self) {
    this.member = member;
    this.host = host;
    this.port = port;
    this.config = config;
    this.applicationName = "ratis-failover " + self;
  }

  public MemberId member() {
    return member;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  public String describe() {
    return member + " (" + host + ":" + port + ")";
  }

  public Identity identify() throws DatabaseException {
    return replication("identify", s -> {
      try (ResultSet r = s.executeQuery("IDENTIFY_SYSTEM")) {
        if (!r.next()) {
          throw new SQLException("IDENTIFY_SYSTEM returned nothing");
        }
        return new Identity(r.getString(1), r.getLong(2), Lsn.parse(r.getString(3)));
      }
    });
  }

  /** The history file of {@code timeline} on the upstream; timeline 1 has none. */
  public Optional<String> history(long timeline) throws DatabaseException {
    if (timeline <= 1) {
      return Optional.empty();
    }
    return Optional.of(replication("read the timeline history", s -> {
      try (ResultSet r = s.executeQuery("TIMELINE_HISTORY " + timeline)) {
        if (!r.next()) {
          throw new SQLException("TIMELINE_HISTORY " + timeline + " returned nothing");
        }
        if (r.getMetaData().getColumnType(2) == Types.BINARY) {
          return new String(r.getBytes(2), StandardCharsets.UTF_8);
        }
        return r.getString(2);
      }
    }));
  }

  /** Creates {@code slot} on the upstream unless it exists; it keeps the WAL this member still needs. */
  public void ensureSlot(String slot) throws DatabaseException {
    replication("create replication slot " + slot, s -> {
      try {
        s.execute("CREATE_REPLICATION_SLOT " + slot + " PHYSICAL RESERVE_WAL");
      } catch (SQLException e) {
        if (!"42710".equals(e.getSQLState())) { // duplicate_object: it exists, which is the goal
          throw e;
        }
      }
      return null;
    });
  }

  /**
   * Makes sure a promoted upstream's control file names its new timeline: {@code pg_rewind} reads
   * the source's timeline from there and, before the first checkpoint after promotion, would see
   * the old one and wrongly find nothing to rewind.
   */
  public void ensureCheckpointAfterPromotion(Duration timeout) throws DatabaseException {
    Duration statement = timeout;
    try (Connection c = Jdbc.open(host, port, Jdbc.withSsl(Jdbc.properties(config.superuser(), config.connectTimeout(),
        statement.plusSeconds(5), statement, applicationName), config)); Statement s = c.createStatement()) {
      boolean needed;
      try (ResultSet r = s.executeQuery("SELECT NOT pg_is_in_recovery() AND"
          + " ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int <> timeline_id"
          + " FROM pg_control_checkpoint()")) {
        r.next();
        needed = r.getBoolean(1);
      }
      if (needed) {
        s.execute("CHECKPOINT");
      }
    } catch (SQLException e) {
      throw failure("check that " + describe() + " checkpointed after its promotion", e, config.superuser());
    }
  }

  /** The upstream's logical slots by name, with their {@code confirmed_flush_lsn}. */
  public java.util.Map<String, Lsn> logicalSlots() throws DatabaseException {
    return superuser("read the logical slots' positions", s -> {
      java.util.Map<String, Lsn> out = new java.util.HashMap<>();
      try (ResultSet r = s.executeQuery("SELECT slot_name, confirmed_flush_lsn::text FROM pg_replication_slots"
          + " WHERE slot_type = 'logical' AND confirmed_flush_lsn IS NOT NULL")) {
        while (r.next()) {
          out.put(r.getString(1), Lsn.parse(r.getString(2)));
        }
      }
      return out;
    });
  }

  /**
   * The upstream's on-disk state of slot {@code slot} ({@code pg_replslot/<slot>/state}), which a
   * standby copies to keep the slot (PostgreSQL before 17 cannot create a logical slot on a standby).
   */
  public byte[] slotState(String slot) throws DatabaseException {
    return superuser("read the state of slot " + slot, s -> {
      try (java.sql.PreparedStatement ps = s.getConnection().prepareStatement(
          "SELECT pg_read_binary_file('pg_replslot/' || ? || '/state')")) {
        ps.setString(1, slot);
        try (ResultSet r = ps.executeQuery()) {
          r.next();
          return r.getBytes(1);
        }
      }
    });
  }

  private <T> T superuser(String what, ReplicationWork<T> work) throws DatabaseException {
    Duration statement = Duration.ofSeconds(10);
    try (Connection c = Jdbc.open(host, port, Jdbc.withSsl(Jdbc.properties(config.superuser(), config.connectTimeout(),
        statement.plusSeconds(5), statement, applicationName), config)); Statement s = c.createStatement()) {
      return work.run(s);
    } catch (SQLException e) {
      throw failure(what + " on " + describe(), e, config.superuser());
    }
  }

  @FunctionalInterface
  private interface ReplicationWork<T> {
    T run(Statement s) throws SQLException;
  }

  private <T> T replication(String what, ReplicationWork<T> work) throws DatabaseException {
    Duration socket = config.connectTimeout().plusSeconds(10);
    try (Connection c = Jdbc.open(host, port, Jdbc.withSsl(Jdbc.replicationProperties(config.replication(),
        config.connectTimeout(), socket, applicationName), config)); Statement s = c.createStatement()) {
      return work.run(s);
    } catch (SQLException e) {
      throw failure(what + " on " + describe(), e, config.replication());
    }
  }

  private DatabaseException failure(String what, SQLException e, PostgresConfig.Credentials credentials) {
    DatabaseException.Kind kind = SqlErrors.kind(e);
    if (kind == DatabaseException.Kind.AUTHENTICATION) {
      return new DatabaseException(kind, "upstream " + describe() + " refused user '" + credentials.user() + "' ("
          + SqlErrors.describe(e) + "): check that user's password in every member's configuration", e);
    }
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    if (state.startsWith("08")) {
      return new DatabaseException(DatabaseException.Kind.TRANSIENT, "cannot reach upstream " + describe()
          + " to " + what + ": " + SqlErrors.describe(e), e);
    }
    return SqlErrors.wrap("could not " + what, e);
  }
}

package io.ratisfailover;

import java.time.Duration;
import java.util.Objects;

/**
 * The dynamic, cluster-wide settings kept in the replicated state (Patroni's "dynamic
 * configuration"): every member acts on the same values, and changing them is one command.
 *
 * @param synchronousMode how commits wait for standbys
 * @param synchronousNodeCount how many synchronous standbys the primary keeps when it can
 * @param maximumLagOnFailover a standby further behind than this many bytes is not elected
 * @param primaryStartTimeout how long a primary whose database crashed may try to restart it in
 *     place before releasing its lease; zero releases at once (fastest failover)
 * @param switchoverTimeout how long an elected member waits to replay up to the position its
 *     predecessor released at, before giving up the election
 * @param postgresql PostgreSQL parameters and {@code pg_hba} lines every data member applies, and the
 *     permanent replication slots the primary keeps
 */
public record ClusterSettings(SynchronousMode synchronousMode, int synchronousNodeCount,
    long maximumLagOnFailover, Duration primaryStartTimeout, Duration switchoverTimeout,
    ServerParameters postgresql) {

  public static final ClusterSettings DEFAULT =
      new ClusterSettings(SynchronousMode.OFF, 1, 1 << 20, Duration.ZERO, Duration.ofSeconds(30));

  /** The settings without cluster-wide PostgreSQL settings. */
  public ClusterSettings(SynchronousMode synchronousMode, int synchronousNodeCount, long maximumLagOnFailover,
      Duration primaryStartTimeout, Duration switchoverTimeout) {
    this(synchronousMode, synchronousNodeCount, maximumLagOnFailover, primaryStartTimeout, switchoverTimeout,
        ServerParameters.NONE);
  }

  public ClusterSettings {
    Objects.requireNonNull(synchronousMode, "synchronous_mode");
    Objects.requireNonNull(primaryStartTimeout, "primary_start_timeout");
    Objects.requireNonNull(switchoverTimeout, "switchover_timeout");
    Objects.requireNonNull(postgresql, "postgresql");
    if (synchronousNodeCount < 1 || synchronousNodeCount > 16) {
      throw new IllegalArgumentException("synchronous_node_count must be between 1 and 16, got " + synchronousNodeCount);
    }
    if (maximumLagOnFailover < 0) {
      throw new IllegalArgumentException("maximum_lag_on_failover must not be negative, got " + maximumLagOnFailover);
    }
    if (primaryStartTimeout.isNegative()) {
      throw new IllegalArgumentException("primary_start_timeout must not be negative, got " + primaryStartTimeout);
    }
    if (switchoverTimeout.isNegative() || switchoverTimeout.isZero()) {
      throw new IllegalArgumentException("switchover_timeout must be positive, got " + switchoverTimeout);
    }
  }

  public ClusterSettings withSynchronousMode(SynchronousMode value) {
    return new ClusterSettings(value, synchronousNodeCount, maximumLagOnFailover, primaryStartTimeout, switchoverTimeout,
        postgresql);
  }

  public ClusterSettings withSynchronousNodeCount(int value) {
    return new ClusterSettings(synchronousMode, value, maximumLagOnFailover, primaryStartTimeout, switchoverTimeout,
        postgresql);
  }

  public ClusterSettings withMaximumLagOnFailover(long value) {
    return new ClusterSettings(synchronousMode, synchronousNodeCount, value, primaryStartTimeout, switchoverTimeout, postgresql);
  }

  public ClusterSettings withPrimaryStartTimeout(Duration value) {
    return new ClusterSettings(synchronousMode, synchronousNodeCount, maximumLagOnFailover, value, switchoverTimeout,
        postgresql);
  }

  public ClusterSettings withSwitchoverTimeout(Duration value) {
    return new ClusterSettings(synchronousMode, synchronousNodeCount, maximumLagOnFailover, primaryStartTimeout, value,
        postgresql);
  }

  public ClusterSettings withPostgresql(ServerParameters value) {
    return new ClusterSettings(synchronousMode, synchronousNodeCount, maximumLagOnFailover, primaryStartTimeout,
        switchoverTimeout, value);
  }
}

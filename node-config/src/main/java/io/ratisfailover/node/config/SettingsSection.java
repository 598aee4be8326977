package io.ratisfailover.node.config;

import io.ratisfailover.ClusterSettings;
import io.ratisfailover.SynchronousMode;

/**
 * {@code settings:} — the dynamic settings a new cluster starts with (later changes go through
 * PATCH /config). Unset keys keep the defaults.
 */
public record SettingsSection(String synchronousMode, Integer synchronousNodeCount, String maximumLagOnFailover,
    String primaryStartTimeout, String switchoverTimeout) {

  public ClusterSettings toSettings(String at) {
    ClusterSettings s = ClusterSettings.DEFAULT;
    if (synchronousMode != null) {
      SynchronousMode mode;
      switch (synchronousMode) {
        case "off": mode = SynchronousMode.OFF; break;
        case "on": mode = SynchronousMode.ON; break;
        case "strict": mode = SynchronousMode.STRICT; break;
        case "quorum": mode = SynchronousMode.QUORUM; break;
        default: throw ConfigException.at(at + ".synchronous_mode", "'" + synchronousMode + "' is not one of off, on, strict, quorum");
      }
      s = s.withSynchronousMode(mode);
    }
    ClusterSettings base = s;
    if (synchronousNodeCount != null) {
      s = Values.checked(at + ".synchronous_node_count", () -> base.withSynchronousNodeCount(synchronousNodeCount));
    }
    if (maximumLagOnFailover != null) {
      long lag = Values.bytes(at + ".maximum_lag_on_failover", maximumLagOnFailover);
      ClusterSettings c = s;
      s = Values.checked(at + ".maximum_lag_on_failover", () -> c.withMaximumLagOnFailover(lag));
    }
    if (primaryStartTimeout != null) {
      s = s.withPrimaryStartTimeout(Values.duration(at + ".primary_start_timeout", primaryStartTimeout));
    }
    if (switchoverTimeout != null) {
      ClusterSettings c = s;
      s = Values.checked(at + ".switchover_timeout",
          () -> c.withSwitchoverTimeout(Values.duration(at + ".switchover_timeout", switchoverTimeout)));
    }
    return s;
  }
}

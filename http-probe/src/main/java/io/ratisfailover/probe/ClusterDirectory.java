package io.ratisfailover.probe;

import io.ratisfailover.ClusterMember;
import java.util.Map;

/** The clusters one process (a witness) serves on a single probe port, as {@link ProbeServer#startFleet} needs them. */
public interface ClusterDirectory {
  /** The members this process runs now, by cluster name; called on every request, so it must be cheap. */
  Map<String, ClusterMember> clusters();

  /**
   * Re-reads the configuration and adds, removes and restarts clusters accordingly; runs on an
   * admin thread.
   *
   * @return what changed, in words, for the caller
   * @throws IllegalArgumentException in one line when the configuration is refused (nothing changed then)
   */
  String reload();
}
